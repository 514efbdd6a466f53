import { DiamondFeatures } from '../../diamonds/diamond-vocabulary';
import { XGBOOST_MISSING } from '../xgboost/xgboost-runtime';
import {
  DERIVED_FEATURES,
  encodeTreeFeatures,
  foldDerivedEffects,
  isTreeFeatureSet,
  TREE_FEATURE_SETS,
  XGBOOST_FEATURES,
} from './diamond-encoding';
import { fitMeasurementImputation, imputeMeasurements } from './measurement-imputer';

const full: DiamondFeatures = {
  carat: 0.7,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: 61.5,
  table: 57,
  x: 5.7,
  y: 5.72,
  z: 3.52,
};

const f32 = Math.fround;

describe('encodeTreeFeatures', () => {
  it('names its sets: the nine columns, then the nine plus the four derived features', () => {
    expect(TREE_FEATURE_SETS['columns-v1']).toEqual(XGBOOST_FEATURES);
    expect(TREE_FEATURE_SETS['derived-v1']).toEqual([...XGBOOST_FEATURES, ...DERIVED_FEATURES]);
    expect(isTreeFeatureSet('derived-v1')).toBe(true);
    expect(isTreeFeatureSet('toString')).toBe(false);
    expect(isTreeFeatureSet(undefined)).toBe(false);
  });

  it('writes the same nine columns in both sets, and volume, ln(carat), x/y, carat/volume after', () => {
    const nine = encodeTreeFeatures([full], 'columns-v1');
    const derived = encodeTreeFeatures([full], 'derived-v1');
    expect(nine.cols).toBe(9);
    expect(derived.cols).toBe(13);
    expect(Array.from(derived.values.subarray(0, 9))).toEqual(Array.from(nine.values));
    const volume = 5.7 * 5.72 * 3.52;
    expect(Array.from(derived.values.subarray(9))).toEqual([
      f32(volume),
      f32(Math.log(0.7)),
      f32(5.7 / 5.72),
      f32(0.7 / volume),
    ]);
  });

  it('marks a derived feature missing, never 0, when a measurement it needs is missing', () => {
    const rows: DiamondFeatures[] = [
      { ...full, x: null },
      { ...full, y: null },
      { ...full, z: null },
      { ...full, x: null, y: null, z: null, depth: null, table: null },
    ];
    const { values, cols } = encodeTreeFeatures(rows, 'derived-v1');
    const at = (row: number, feature: string) =>
      values[row * cols + TREE_FEATURE_SETS['derived-v1'].indexOf(feature as never)];
    const M = XGBOOST_MISSING;
    // x missing: volume, x/y and carat/volume unknown; ln(carat) known.
    expect([0, 1, 2, 3].map((r) => at(r, 'volume'))).toEqual([M, M, M, M]);
    expect([0, 1, 2, 3].map((r) => at(r, 'carat_over_volume'))).toEqual([M, M, M, M]);
    expect([0, 1, 2, 3].map((r) => at(r, 'x_over_y'))).toEqual([M, M, f32(5.7 / 5.72), M]);
    expect([0, 1, 2, 3].map((r) => at(r, 'log_carat'))).toEqual(
      new Array(4).fill(f32(Math.log(0.7))),
    );
    expect(Array.from(values).includes(0)).toBe(false);
  });

  it('follows the imputed measurements the families price with', () => {
    const imputation = fitMeasurementImputation([
      { ...full, price: 2800 } as never,
      { ...full, carat: 1.01, x: 6.41, y: 6.45, z: 3.98, price: 5000 } as never,
      { ...full, carat: 0.31, x: 4.35, y: 4.37, z: 2.7, price: 700 } as never,
    ]);
    const sparse: DiamondFeatures = { ...full, x: null, y: null, z: null, depth: null };
    const imputed = imputeMeasurements(sparse, imputation);
    const { values } = encodeTreeFeatures([imputed], 'derived-v1');
    const volume = (imputed.x as number) * (imputed.y as number) * (imputed.z as number);
    expect(volume).toBeGreaterThan(0);
    expect(values[9]).toBe(f32(volume));
    expect(values[11]).toBe(f32((imputed.x as number) / (imputed.y as number)));
    expect(values[12]).toBe(f32(0.7 / volume));
  });

  it('never writes the missing marker for a value it could compute (ln(carat) = -1)', () => {
    const { values } = encodeTreeFeatures([{ ...full, carat: Math.exp(-1) }], 'derived-v1');
    expect(Math.fround(Math.log(Math.exp(-1)))).toBe(XGBOOST_MISSING);
    expect(values[10]).not.toBe(XGBOOST_MISSING);
    expect(values[10]).toBeCloseTo(-1, 6);
  });

  it('folds the effects of derived features onto the columns they are computed from', () => {
    const phi = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 10, 20, 40]);
    expect(Array.from(foldDerivedEffects(phi.subarray(0, 9), 'columns-v1'))).toEqual(
      Array.from(phi.subarray(0, 9)),
    );
    const folded = foldDerivedEffects(phi, 'derived-v1');
    // carat + ln carat + a quarter of carat/volume; x + volume/3 + (x/y)/2 + (carat/volume)/4 ...
    expect(Array.from(folded)).toEqual([
      1 + 10 + 10,
      2,
      3,
      4,
      5,
      6,
      7 + 10 + 10 + 10,
      8 + 10 + 10 + 10,
      9 + 10 + 10,
    ]);
    expect(folded.reduce((a, b) => a + b, 0)).toBe(phi.reduce((a, b) => a + b, 0));
  });
});
