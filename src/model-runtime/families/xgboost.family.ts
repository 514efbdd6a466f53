import { Injectable } from '@nestjs/common';
import { XgboostFamilyBase } from './xgboost-family.base';

@Injectable()
export class XgboostFamily extends XgboostFamilyBase {
  readonly name = 'xgboost';
  readonly description =
    'Gradient-boosted trees (XGBoost) on the nine columns and four features computed from them (volume, ln carat, x/y, carat/volume), tuned by TPE search; it prices diamonds with missing measurements.';
  protected readonly target = 'price' as const;
}
