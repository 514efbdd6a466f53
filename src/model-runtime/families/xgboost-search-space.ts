import { SearchSpace } from '../search/search-space';
import { TrialParams } from '../search/trial';
import { BoosterParams } from '../xgboost/xgboost-runtime';

/** The notebook's Optuna space, with XGBoost's scikit-learn parameter names. */
export const XGBOOST_SEARCH_SPACE: SearchSpace = {
  lambda: { kind: 'float', low: 1e-8, high: 1, log: true },
  alpha: { kind: 'float', low: 1e-8, high: 1, log: true },
  colsample_bytree: { kind: 'categorical', choices: [0.3, 0.4, 0.5, 0.7] },
  subsample: { kind: 'categorical', choices: [0.5, 0.6, 0.7, 0.8, 0.9, 1.0] },
  learning_rate: { kind: 'float', low: 1e-8, high: 1, log: true },
  n_estimators: { kind: 'int', low: 100, high: 1000 },
  max_depth: { kind: 'int', low: 3, high: 9 },
  min_child_weight: { kind: 'int', low: 1, high: 10 },
};

/** XGBoost's own defaults, used when no trial is run. */
export const XGBOOST_DEFAULT_PARAMS: TrialParams = {
  lambda: 1,
  alpha: 0,
  colsample_bytree: 1,
  subsample: 1,
  learning_rate: 0.3,
  n_estimators: 100,
  max_depth: 6,
  min_child_weight: 1,
};

/**
 * The first trial of the price-scale search: XGBoost's defaults moved inside the notebook's space
 * (colsample_bytree and alpha have no default in it) with a gentler learning rate and more
 * rounds. Searches then never do worse than this point on their validation rows.
 */
export const XGBOOST_FIRST_TRIAL: TrialParams = {
  lambda: 1,
  alpha: 1e-8,
  colsample_bytree: 0.7,
  subsample: 0.8,
  learning_rate: 0.1,
  n_estimators: 300,
  max_depth: 6,
  min_child_weight: 1,
};

/**
 * The first trial of the log-price search: the same with small steps, many rounds and shallower
 * trees (learning rate 0.03 x 1,000, depth 5; issue 21's feature recipe within the notebook's
 * space). Depth 5 rather than 6 on small data: on 80/20 splits of the bundled data (split seeds 7
 * and 8, two model seeds each) its holdout MAE was lower, and on the pool's unseen rows one model
 * scored 279.1 against 281.8 at depth 6 (see docs/benchmarks.md, issue 21). The price-scale search
 * keeps the cheaper point (0.1 x 300, depth 6): started at 0.03 x 1,000 it chose another (409
 * rounds).
 */
export const XGBOOST_LOG_FIRST_TRIAL: TrialParams = {
  ...XGBOOST_FIRST_TRIAL,
  learning_rate: 0.03,
  n_estimators: 1000,
  max_depth: 5,
};

/**
 * The log-price search's enqueued starting points, tried before TPE samples: depth 5 (better on
 * the bundled 4,999 rows) and the same at depth 6 (better on a grown store of 23,857 rows: one
 * model 254.6 against two depth-5 seeds 257.1 on 10,000 unseen rows), so the search's validation
 * rows choose the depth for the data at hand.
 */
export const XGBOOST_LOG_FIRST_TRIALS: readonly TrialParams[] = [
  XGBOOST_LOG_FIRST_TRIAL,
  { ...XGBOOST_LOG_FIRST_TRIAL, max_depth: 6 },
];

/**
 * Boosting rounds after which a trial reports its validation MAE to the pruner. Sparse and
 * front-loaded: each report predicts the whole validation set with every tree so far.
 */
export const XGBOOST_REPORT_STEPS: readonly number[] = [25, 50, 100, 200, 400, 700];

export const XGBOOST_FIXED_PARAMS = {
  objective: 'reg:linear',
  tree_method: 'hist',
  silent: 1,
  nthread: 1,
} as const;

/** Search parameters (scikit-learn names) to XGBoost's learner parameters. */
export function toBoosterParams(
  params: TrialParams,
  baseScore: number,
  seed: number,
): BoosterParams {
  return {
    ...XGBOOST_FIXED_PARAMS,
    eta: Number(params.learning_rate),
    max_depth: Number(params.max_depth),
    min_child_weight: Number(params.min_child_weight),
    subsample: Number(params.subsample),
    colsample_bytree: Number(params.colsample_bytree),
    lambda: Number(params.lambda),
    alpha: Number(params.alpha),
    // The mean target, as recent XGBoost estimates it; 0.7 would start every tree from 0.5.
    base_score: baseScore,
    seed,
  };
}
