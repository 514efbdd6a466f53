import type { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import {
  outsideTrainingRanges,
  type TrainingRanges,
} from '../../model-runtime/evaluation/training-ranges';

/**
 * Does a fresh batch price diamonds as the market the champion learned? A pure function: the
 * batch's actual prices, the champion's predictions for them and its calibrated 90 % range
 * half-width on the log scale (q: the range is predicted × e^(±q)).
 *
 * Two figures, each with what the calibration predicts for a batch of the same market:
 * - the share of rows outside the 90 % range: 10 % expected;
 * - the median of log(actual/predicted): 0 expected (the split model is unbiased on its holdout).
 * Measured with the first-start champion (issue 20): 4,999 fresh unseen diamonds 9.3 % / +0.004,
 * a batch of dearer diamonds 12.4 % / +0.017, the same diamonds with their prices tripled 100 % /
 * +1.094. Held when the median log-ratio is beyond ±0.10 (prices about 10 % off as a whole:
 * six times the dear batch's shift, a tenth of a tripling's, and well inside a halving's −0.69 or
 * a × 1.5's +0.41) or the share outside is above 25 % (2.5 × the 10 % expected; a hard month
 * reached 12.4 %). Below MIN_BATCH_CHECK_ROWS rows neither figure means anything: the median
 * log-ratio of n rows with residual spread σ ≈ 0.13 varies by about 1.25·σ/√n (0.03 at 30 rows,
 * three times less than the threshold), and the share outside by √(0.1·0.9/n) (0.055 at 30 rows).
 */
export const MIN_BATCH_CHECK_ROWS = 30;
export const MAX_MEDIAN_LOG_RATIO = 0.1;
export const MAX_OUTSIDE_SHARE = 0.25;
/** The range level checked, and the share outside it a batch of the same market shows. */
export const CHECK_LEVEL = 0.9;

export type BatchVerdict = 'passed' | 'held' | 'too-few-rows';

export interface BatchCheck {
  verdict: BatchVerdict;
  rows: number;
  /** Share of rows outside the champion's 90 % range (null below the minimum). */
  outsideShare: number | null;
  /** Median log(actual / predicted) (null below the minimum). */
  medianLogRatio: number | null;
  reason: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

export function checkBatchPrices(
  actual: readonly number[],
  predicted: readonly number[],
  rangeLogHalfWidth: number,
): BatchCheck {
  if (actual.length !== predicted.length)
    throw new RangeError(`${actual.length} prices but ${predicted.length} predictions`);
  const rows = actual.length;
  if (rows < MIN_BATCH_CHECK_ROWS)
    return {
      verdict: 'too-few-rows',
      rows,
      outsideShare: null,
      medianLogRatio: null,
      reason: `too few rows to judge: ${rows} (at least ${MIN_BATCH_CHECK_ROWS}); let through unchecked`,
    };
  const logRatios = actual.map((a, i) => Math.log(a / predicted[i]));
  const outsideShare = logRatios.filter((r) => Math.abs(r) > rangeLogHalfWidth).length / rows;
  const medianLogRatio = median(logRatios);
  const problems: string[] = [];
  if (Math.abs(medianLogRatio) > MAX_MEDIAN_LOG_RATIO)
    problems.push(
      `median log(actual/predicted) ${signed(medianLogRatio)} is beyond ±${MAX_MEDIAN_LOG_RATIO} (prices × ${Math.exp(medianLogRatio).toFixed(2)} as a whole)`,
    );
  if (outsideShare > MAX_OUTSIDE_SHARE)
    problems.push(
      `${pct(outsideShare)} of rows are outside the champion's 90 % range (at most ${pct(MAX_OUTSIDE_SHARE)}; 10 % expected)`,
    );
  const figures = `${rows} rows, ${pct(outsideShare)} outside the 90 % range, median log(actual/predicted) ${signed(medianLogRatio)}`;
  return problems.length
    ? {
        verdict: 'held',
        rows,
        outsideShare,
        medianLogRatio,
        reason: `held: ${problems.join('; ')}`,
      }
    : { verdict: 'passed', rows, outsideShare, medianLogRatio, reason: `passed: ${figures}` };
}

/** A batch judged against a champion: the check on the rows it can judge, and how many it could. */
export interface ChampionBatchCheck extends BatchCheck {
  /** Rows of the batch, judged or not. */
  batchRows: number;
}

/**
 * The check on the rows the champion can vouch for: each measurement and the price inside the
 * ranges it was trained on. A champion that never saw a diamond like this, or a price like this,
 * cannot say that the price is wrong: a champion trained only on stones under 6,000 USD would
 * hold a batch of dearer stones (XGBoost without search on 500 unseen rows under 6,000 USD, then
 * 500 dearer ones: median log-ratio +0.60, 84 % outside its range), the harder data the store
 * wants its models to learn from. The rows beyond are counted, not judged; a slip
 * of the scale still shows on the rows it leaves inside (a tripled batch of ordinary stones:
 * about three quarters of them, 774 of 1,000 in bench:retrain).
 */
export function checkBatchAgainstChampion(
  rows: readonly PricedDiamond[],
  predicted: readonly number[],
  rangeLogHalfWidth: number,
  ranges: TrainingRanges | null,
): ChampionBatchCheck {
  if (rows.length !== predicted.length)
    throw new RangeError(`${rows.length} rows but ${predicted.length} predictions`);
  const judged = rows
    .map((_, i) => i)
    .filter(
      (i) =>
        !ranges ||
        (outsideTrainingRanges(rows[i], ranges).length === 0 &&
          rows[i].price >= ranges.price.min &&
          rows[i].price <= ranges.price.max),
    );
  const check = checkBatchPrices(
    judged.map((i) => rows[i].price),
    judged.map((i) => predicted[i]),
    rangeLogHalfWidth,
  );
  const beyond = rows.length - judged.length;
  const note = beyond
    ? ` (${beyond} of ${rows.length} rows lie beyond the measurements or prices the champion trained on, not judged)`
    : '';
  return { ...check, batchRows: rows.length, reason: check.reason + note };
}
