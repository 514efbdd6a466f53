interface PredictionPair {
  actual: number;
  predicted: number;
}

interface RegressionMetrics {
  /** Rows evaluated. */
  count: number;
  /** Coefficient of determination, as scikit-learn's `r2_score`. */
  r2: number;
  /** Mean absolute error, in the target's unit (USD). */
  mae: number;
  /** Root mean squared error, in the target's unit (USD). */
  rmse: number;
  /** Mean absolute percentage error as a fraction (0.08 = 8 %), as scikit-learn's. */
  mape: number;
  /** Up to `sampleSize` (actual, predicted) pairs, evenly spread over the rows, for plots. */
  sample: PredictionPair[];
}

interface RegressionMetricsOptions {
  /** Most pairs kept in `sample`. Default 200. */
  sampleSize?: number;
}

/** Holdout metrics of a regression model. Deterministic: the same inputs give the same sample. */
export function regressionMetrics(
  actual: readonly number[],
  predicted: readonly number[],
  options: RegressionMetricsOptions = {},
): RegressionMetrics {
  const n = actual.length;
  if (n !== predicted.length) {
    throw new RangeError(`${n} actual values but ${predicted.length} predictions`);
  }
  if (n === 0) throw new RangeError('Cannot evaluate on zero rows');

  let sum = 0;
  for (const y of actual) sum += y;
  const mean = sum / n;

  let absolute = 0;
  let squared = 0;
  let total = 0;
  let percentage = 0;
  for (let i = 0; i < n; i++) {
    const error = actual[i] - predicted[i];
    absolute += Math.abs(error);
    squared += error * error;
    total += (actual[i] - mean) ** 2;
    // scikit-learn guards the division by machine epsilon.
    percentage += Math.abs(error) / Math.max(Math.abs(actual[i]), Number.EPSILON);
  }

  return {
    count: n,
    r2: total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total,
    mae: absolute / n,
    rmse: Math.sqrt(squared / n),
    mape: percentage / n,
    sample: samplePairs(actual, predicted, options.sampleSize ?? 200),
  };
}

/** Evenly spaced rows (first row included), so the sample covers the whole holdout. */
export function samplePairs(
  actual: readonly number[],
  predicted: readonly number[],
  size: number,
): PredictionPair[] {
  const n = actual.length;
  const k = Math.min(n, Math.max(0, Math.floor(size)));
  const pairs: PredictionPair[] = [];
  for (let j = 0; j < k; j++) {
    const i = Math.floor((j * n) / k);
    pairs.push({ actual: actual[i], predicted: predicted[i] });
  }
  return pairs;
}
