import { Injectable } from '@nestjs/common';
import { XgboostFamilyBase } from './xgboost-family.base';

@Injectable()
export class XgboostFamily extends XgboostFamilyBase {
  readonly name = 'xgboost';
  readonly description =
    'Gradient-boosted trees (XGBoost) on all nine features, tuned by TPE search; it prices diamonds with missing measurements.';
  protected readonly target = 'price' as const;
}
