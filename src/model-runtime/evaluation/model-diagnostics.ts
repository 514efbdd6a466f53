import type { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { mulberry32 } from '../../common/seeded-random';
import { encodeLinearRow, LINEAR_FEATURES, XGBOOST_FEATURES } from '../encoding/diamond-encoding';

/** Upper bounds (USD, exclusive) of the price bands; the last band is open. */
const PRICE_BANDS = [1000, 2500, 5000, 10000] as const;

interface PriceBandError {
  /** "< $1,000", "$1,000–2,500", …, "≥ $10,000". */
  band: string;
  from: number;
  to: number | null;
  rows: number;
  /** Mean absolute error, USD. */
  mae: number;
  /** Mean absolute error relative to the price (0.08 = 8 %). */
  mape: number;
  /** Mean of predicted − actual, USD: > 0 overprices the band. */
  bias: number;
}

interface FeatureImportance {
  /** standardised-coefficient: |weight| × the design column's standard deviation on the holdout (log-price units); permutation: holdout MAE increase (USD) when the feature's values are shuffled. */
  method: 'standardised-coefficient' | 'permutation';
  features: { feature: string; importance: number }[];
}

/** What the trust page shows besides the search history and the range calibration. */
export interface ModelDiagnostics {
  errorByPriceBand: PriceBandError[];
  featureImportance: FeatureImportance | null;
}

const money = (x: number) => `$${x.toLocaleString('en-US')}`;
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Holdout errors per price band (bands with no row are left out). */
export function errorByPriceBand(
  actual: readonly number[],
  predicted: readonly number[],
): PriceBandError[] {
  const edges = [0, ...PRICE_BANDS, Infinity];
  const bands: PriceBandError[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const from = edges[b];
    const to = edges[b + 1];
    let rows = 0;
    let abs = 0;
    let rel = 0;
    let signed = 0;
    for (let i = 0; i < actual.length; i++) {
      if (actual[i] < from || actual[i] >= to) continue;
      rows++;
      const error = predicted[i] - actual[i];
      abs += Math.abs(error);
      rel += Math.abs(error) / Math.max(actual[i], Number.EPSILON);
      signed += error;
    }
    if (rows === 0) continue;
    bands.push({
      band:
        from === 0
          ? `< ${money(to)}`
          : to === Infinity
            ? `≥ ${money(from)}`
            : `${money(from)}–${to.toLocaleString('en-US')}`,
      from,
      to: to === Infinity ? null : to,
      rows,
      mae: round(abs / rows, 2),
      mape: round(rel / rows),
      bias: round(signed / rows, 2),
    });
  }
  return bands;
}

/** The nine features of a diamond, in the tree models' column order. */
const FEATURES: readonly (keyof DiamondFeatures)[] = XGBOOST_FEATURES;

function meanAbsoluteError(actual: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - predicted[i]);
  return sum / actual.length;
}

/**
 * Permutation importance on the holdout: how much the MAE grows when one feature's values are
 * shuffled among the rows (seeded), the others kept. Model-agnostic, so the figures of every
 * tree family (and blend) read the same way, in USD of holdout MAE.
 */
export async function permutationImportance(
  predict: (rows: readonly DiamondFeatures[]) => Promise<number[]>,
  rows: readonly PricedDiamond[],
  seed: number,
): Promise<FeatureImportance> {
  const actual = rows.map((r) => r.price);
  const base = meanAbsoluteError(actual, await predict(rows));
  const random = mulberry32(seed);
  const features: FeatureImportance['features'] = [];
  for (const feature of FEATURES) {
    const order = rows.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const shuffled = rows.map((row, i) => ({ ...row, [feature]: rows[order[i]][feature] }));
    const shuffledMae = meanAbsoluteError(actual, await predict(shuffled));
    features.push({ feature, importance: round(shuffledMae - base, 2) });
  }
  features.sort((a, b) => b.importance - a.importance);
  return { method: 'permutation', features };
}

/**
 * Standardised coefficients of the linear family (log-price model): |weight| times the standard
 * deviation of its design column on the holdout rows, so a one-hot grade and carat compare.
 */
export function standardisedCoefficients(
  coefficients: Record<string, number>,
  rows: readonly DiamondFeatures[],
): FeatureImportance {
  const design = rows.map(encodeLinearRow);
  const features = LINEAR_FEATURES.map((column, j) => {
    let sum = 0;
    let squares = 0;
    for (const d of design) {
      sum += d[j];
      squares += d[j] * d[j];
    }
    const mean = sum / design.length;
    const sd = Math.sqrt(Math.max(0, squares / design.length - mean * mean));
    return { feature: column, importance: round(Math.abs(coefficients[column] ?? 0) * sd) };
  });
  features.sort((a, b) => b.importance - a.importance);
  return { method: 'standardised-coefficient', features };
}
