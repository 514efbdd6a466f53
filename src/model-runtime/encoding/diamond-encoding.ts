import {
  CLARITIES,
  clarityCode,
  COLORS,
  colorCode,
  CUTS,
  cutCode,
  DiamondFeatures,
  isClarity,
  isColor,
  isCut,
} from '../../diamonds/diamond-vocabulary';
import { InvalidFeatureError, MissingFeatureError } from '../model-family';
import { DenseMatrix, XGBOOST_MISSING } from '../xgboost/xgboost-runtime';

const NUMERIC_FEATURES = ['carat', 'depth', 'table', 'x', 'y', 'z'] as const;
type NumericFeature = (typeof NUMERIC_FEATURES)[number];

function isPresent(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Checks what a family needs before it encodes: required features present, categories from the
 * vocabulary, measurements finite numbers or null.
 */
export function checkRows(
  rows: readonly DiamondFeatures[],
  required: readonly (keyof DiamondFeatures)[],
  family: string,
): void {
  for (const row of rows) {
    for (const feature of required) {
      const value = row[feature];
      if (
        value === null ||
        value === undefined ||
        (typeof value === 'number' && Number.isNaN(value))
      ) {
        throw new MissingFeatureError(feature, family);
      }
    }
    if (!isCut(row.cut)) throw new InvalidFeatureError('cut', row.cut, family);
    if (!isColor(row.color)) throw new InvalidFeatureError('color', row.color, family);
    if (!isClarity(row.clarity)) throw new InvalidFeatureError('clarity', row.clarity, family);
    for (const feature of NUMERIC_FEATURES) {
      const value: unknown = row[feature as NumericFeature];
      if (value !== null && value !== undefined && !isPresent(value)) {
        throw new InvalidFeatureError(feature, value, family);
      }
    }
  }
}

/** The nine columns the tree models read, in this column order. */
export const XGBOOST_FEATURES = [
  'carat',
  'cut',
  'color',
  'clarity',
  'depth',
  'table',
  'x',
  'y',
  'z',
] as const;

/**
 * Features computed from the columns, after the nine: trees split on one column at a time and
 * can not easily build products and ratios. On the pool's unseen rows (issue 21) x/y helped most.
 */
export const DERIVED_FEATURES = ['volume', 'log_carat', 'x_over_y', 'carat_over_volume'] as const;

/**
 * The tree models' feature sets, by name. An artifact records its set (`featureSet`; none means
 * `columns-v1`, every artifact written before derived features) and is priced with it.
 */
export const TREE_FEATURE_SETS = {
  'columns-v1': XGBOOST_FEATURES,
  'derived-v1': [...XGBOOST_FEATURES, ...DERIVED_FEATURES],
} as const satisfies Record<string, readonly string[]>;
export type TreeFeatureSet = keyof typeof TREE_FEATURE_SETS;

/**
 * The columns each derived feature is computed from: an explanation shares a derived feature's
 * effect equally among them (its effect is theirs), so effects stay one per column.
 */
export const DERIVED_FEATURE_SOURCES: Record<
  (typeof DERIVED_FEATURES)[number],
  readonly (typeof XGBOOST_FEATURES)[number][]
> = {
  volume: ['x', 'y', 'z'],
  log_carat: ['carat'],
  x_over_y: ['x', 'y'],
  carat_over_volume: ['carat', 'x', 'y', 'z'],
};

/** Effects on the columns of `featureSet`, as effects on the nine columns (the sum is kept). */
export function foldDerivedEffects(phi: Float64Array, featureSet: TreeFeatureSet): Float64Array {
  const columns = XGBOOST_FEATURES.length;
  const out = Float64Array.from(phi.subarray(0, columns));
  if (featureSet === 'columns-v1') return out;
  DERIVED_FEATURES.forEach((name, k) => {
    const sources = DERIVED_FEATURE_SOURCES[name];
    for (const source of sources) {
      out[XGBOOST_FEATURES.indexOf(source)] += phi[columns + k] / sources.length;
    }
  });
  return out;
}

/** The set new tree models are trained with. */
export const DEFAULT_TREE_FEATURE_SET: TreeFeatureSet = 'derived-v1';

export function isTreeFeatureSet(value: unknown): value is TreeFeatureSet {
  return (
    typeof value === 'string' && Object.prototype.hasOwnProperty.call(TREE_FEATURE_SETS, value)
  );
}

/** The float32 just above XGBoost's missing marker, for a computed value that would equal it. */
const ABOVE_MISSING = Math.fround(XGBOOST_MISSING + 2 ** -23);

/**
 * A computed feature: missing when it can not be computed, never XGBoost's missing marker when it
 * can (ln(carat) is -1 at carat e^-1).
 */
function derivedValue(value: number): number {
  if (!Number.isFinite(value)) return XGBOOST_MISSING;
  return Math.fround(value) === XGBOOST_MISSING ? ABOVE_MISSING : value;
}

/**
 * Tree model input: categories as ordinal codes in quality order (XGBoost 0.7 has no categorical
 * support), missing measurements as XGBoost's missing marker so trees route them natively. With
 * `derived-v1`, four more columns from the measurements: volume x·y·z, ln(carat), x/y and
 * carat/volume, each missing (never 0) when a measurement it needs is; the families impute
 * measurements first (see MeasurementImputation), so a priced row has them all.
 */
export function encodeTreeFeatures(
  rows: readonly DiamondFeatures[],
  featureSet: TreeFeatureSet,
): DenseMatrix {
  const cols = TREE_FEATURE_SETS[featureSet].length;
  const derived = featureSet === 'derived-v1';
  const values = new Float32Array(rows.length * cols);
  const measured = (value: number | null | undefined) =>
    isPresent(value) ? value : XGBOOST_MISSING;
  for (let i = 0, at = 0; i < rows.length; i++, at += cols) {
    const row = rows[i];
    values[at] = measured(row.carat);
    values[at + 1] = cutCode(row.cut);
    values[at + 2] = colorCode(row.color);
    values[at + 3] = clarityCode(row.clarity);
    values[at + 4] = measured(row.depth);
    values[at + 5] = measured(row.table);
    values[at + 6] = measured(row.x);
    values[at + 7] = measured(row.y);
    values[at + 8] = measured(row.z);
    if (!derived) continue;
    const { carat, x, y, z } = row;
    const volume = isPresent(x) && isPresent(y) && isPresent(z) ? x * y * z : NaN;
    values[at + 9] = derivedValue(volume);
    values[at + 10] = derivedValue(isPresent(carat) && carat > 0 ? Math.log(carat) : NaN);
    values[at + 11] = derivedValue(isPresent(x) && isPresent(y) && y > 0 ? x / y : NaN);
    values[at + 12] = derivedValue(isPresent(carat) && volume > 0 ? carat / volume : NaN);
  }
  return { values, rows: rows.length, cols };
}

/**
 * The linear model's design columns: carat, x, then one-hot cut, color and clarity with each
 * category's first (worst) level dropped, as pandas `get_dummies(drop_first=True)` would; with an
 * intercept, the dropped level does not change predictions.
 */
export const LINEAR_FEATURES: readonly string[] = [
  'carat',
  'x',
  ...CUTS.slice(1).map((level) => `cut_${level}`),
  ...COLORS.slice(1).map((level) => `color_${level}`),
  ...CLARITIES.slice(1).map((level) => `clarity_${level}`),
];

export function encodeLinearRow(row: DiamondFeatures): number[] {
  const design = new Array<number>(LINEAR_FEATURES.length).fill(0);
  design[0] = row.carat;
  design[1] = row.x as number;
  const cut = cutCode(row.cut);
  const color = colorCode(row.color);
  const clarity = clarityCode(row.clarity);
  let offset = 2;
  if (cut > 0) design[offset + cut - 1] = 1;
  offset += CUTS.length - 1;
  if (color > 0) design[offset + color - 1] = 1;
  offset += COLORS.length - 1;
  if (clarity > 0) design[offset + clarity - 1] = 1;
  return design;
}
