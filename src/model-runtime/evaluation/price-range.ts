/**
 * Price ranges by split-conformal calibration on the log scale.
 *
 * The score of a holdout row is |log(actual) − log(predicted)|: an error relative to the price, so
 * a $500 stone and a $15,000 stone get ranges of their own size. For a level α, the conformal
 * quantile q is the ⌈(n + 1)·α⌉-th smallest score; the range of a new prediction p is
 * [p·e^(−q), p·e^(q)], which holds the true price with probability ≥ α when the new diamond is
 * exchangeable with the holdout rows (no model of the error needed).
 */

/** The lowest and highest levels a range may be asked at. */
export const MIN_RANGE_LEVEL = 0.5;
export const MAX_RANGE_LEVEL = 0.99;
export const DEFAULT_RANGE_LEVEL = 0.9;
/** Levels whose coverage the trust page shows. */
const CHECK_LEVELS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99] as const;

/** Fewer holdout rows than this cannot give a 0.99 range (⌈(n+1)·0.99⌉ ≤ n needs n ≥ 99). */
export const MIN_CALIBRATION_ROWS = 99;

/** Predictions below a cent are treated as a cent: a log needs a positive number. */
const FLOOR_USD = 0.01;

interface CoverageCheck {
  level: number;
  /** Share of rows inside the range of that level, calibrated on the other half of the holdout. */
  coverage: number;
}

/** What the registry stores with a version: enough to give a range at any level in [0.5, 0.99]. */
export interface PriceRangeCalibration {
  method: 'split-conformal-log';
  /** Holdout rows the quantiles come from. */
  rows: number;
  /** 0.50, 0.51, …, 0.99. */
  levels: number[];
  /** The conformal quantile of |log(actual/predicted)| at each level (non-decreasing). */
  quantiles: number[];
  /**
   * Honest coverage at CHECK_LEVELS: calibrated on one half of the holdout, measured on the other,
   * both ways (2-fold cross-conformal), so the figure is not the calibration set scoring itself.
   */
  checks: CoverageCheck[];
}

export interface PriceRange {
  low: number;
  high: number;
  level: number;
}

function score(actual: number, predicted: number): number {
  return Math.abs(Math.log(Math.max(actual, FLOOR_USD)) - Math.log(Math.max(predicted, FLOOR_USD)));
}

/** The split-conformal quantile of sorted scores at one level (Infinity when n is too small). */
export function conformalQuantile(sortedScores: readonly number[], level: number): number {
  const n = sortedScores.length;
  const k = Math.ceil((n + 1) * level);
  return k > n ? Infinity : sortedScores[Math.max(0, k - 1)];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** The grid of stored levels, 0.50 to 0.99 by 0.01. */
function calibrationLevels(): number[] {
  const levels: number[] = [];
  for (let i = 50; i <= 99; i++) levels.push(i / 100);
  return levels;
}

export class PriceRangeCalculator {
  /**
   * Calibrates on holdout pairs. Throws RangeError with fewer than MIN_CALIBRATION_ROWS rows or
   * a non-finite value.
   */
  static calibrate(actual: readonly number[], predicted: readonly number[]): PriceRangeCalibration {
    if (actual.length !== predicted.length)
      throw new RangeError(`${actual.length} actual values but ${predicted.length} predictions`);
    if (actual.length < MIN_CALIBRATION_ROWS)
      throw new RangeError(
        `A price range needs at least ${MIN_CALIBRATION_ROWS} holdout rows, got ${actual.length}`,
      );
    const scores = actual.map((a, i) => score(a, predicted[i]));
    if (!scores.every(Number.isFinite)) throw new RangeError('Holdout values must be finite');
    const sorted = [...scores].sort((a, b) => a - b);
    const levels = calibrationLevels();
    return {
      method: 'split-conformal-log',
      rows: actual.length,
      levels,
      quantiles: levels.map((level) => conformalQuantile(sorted, level)),
      checks: PriceRangeCalculator.crossCoverage(scores),
    };
  }

  /** 2-fold cross-conformal coverage: even rows calibrate odd rows and the other way round. */
  static crossCoverage(scores: readonly number[]): CoverageCheck[] {
    const even = scores.filter((_, i) => i % 2 === 0).sort((a, b) => a - b);
    const odd = scores.filter((_, i) => i % 2 === 1).sort((a, b) => a - b);
    return CHECK_LEVELS.map((level) => {
      const qEven = conformalQuantile(even, level);
      const qOdd = conformalQuantile(odd, level);
      const inside = odd.filter((s) => s <= qEven).length + even.filter((s) => s <= qOdd).length;
      return { level, coverage: round(inside / scores.length, 4) };
    });
  }

  /**
   * The quantile at any level in [0.5, 0.99]: stored levels exactly, levels between two stored
   * ones by linear interpolation (the quantile is non-decreasing in the level).
   */
  static quantileAt(calibration: PriceRangeCalibration, level: number): number {
    const { levels, quantiles } = calibration;
    if (!(level >= levels[0] && level <= levels[levels.length - 1]))
      throw new RangeError(`level must be between ${levels[0]} and ${levels[levels.length - 1]}`);
    const hi = levels.findIndex((l) => l >= level - 1e-12);
    if (Math.abs(levels[hi] - level) < 1e-12) return quantiles[hi];
    const lo = hi - 1;
    const t = (level - levels[lo]) / (levels[hi] - levels[lo]);
    return quantiles[lo] + t * (quantiles[hi] - quantiles[lo]);
  }

  /** The range around a price (USD) at a level, rounded outwards to the cent. */
  static range(calibration: PriceRangeCalibration, price: number, level: number): PriceRange {
    const q = PriceRangeCalculator.quantileAt(calibration, level);
    const p = Math.max(price, FLOOR_USD);
    return {
      low: Math.floor(p * Math.exp(-q) * 100) / 100,
      high: Math.ceil(p * Math.exp(q) * 100) / 100,
      level,
    };
  }

  /** Share of actual prices inside their ranges, and the mean width relative to the prediction. */
  static coverage(
    calibration: PriceRangeCalibration,
    actual: readonly number[],
    predicted: readonly number[],
    level: number,
  ): { coverage: number; meanRelativeWidth: number } {
    let inside = 0;
    let width = 0;
    for (let i = 0; i < actual.length; i++) {
      const r = PriceRangeCalculator.range(calibration, predicted[i], level);
      if (actual[i] >= r.low && actual[i] <= r.high) inside++;
      width += (r.high - r.low) / Math.max(predicted[i], FLOOR_USD);
    }
    return { coverage: inside / actual.length, meanRelativeWidth: width / actual.length };
  }
}
