import { Injectable } from '@nestjs/common';
import { XgboostFamilyBase } from './xgboost-family.base';
import { XGBOOST_LOG_FIRST_TRIALS } from './xgboost-search-space';

@Injectable()
export class XgboostLogFamily extends XgboostFamilyBase {
  readonly name = 'xgboost-log';
  readonly description =
    'The xgboost family fitted on log(price) and exp()-ed back: errors scale with the price, which favours the many cheap stones.';
  protected readonly target = 'log-price' as const;
  protected readonly firstTrials = XGBOOST_LOG_FIRST_TRIALS;
}
