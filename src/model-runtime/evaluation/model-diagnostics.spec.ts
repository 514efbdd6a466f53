import type { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import {
  errorByPriceBand,
  permutationImportance,
  standardisedCoefficients,
} from './model-diagnostics';

const diamond = (carat: number, x: number, depth: number): PricedDiamond => ({
  carat,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth,
  table: 57,
  x,
  y: x,
  z: x * 0.6,
  price: carat * 4000,
});

describe('errorByPriceBand', () => {
  it('groups holdout errors by price band with MAE, relative error and bias', () => {
    const bands = errorByPriceBand([500, 700, 3000, 12000], [600, 600, 3300, 11000]);
    expect(bands).toEqual([
      { band: '< $1,000', from: 0, to: 1000, rows: 2, mae: 100, mape: 0.1714, bias: 0 },
      { band: '$2,500–5,000', from: 2500, to: 5000, rows: 1, mae: 300, mape: 0.1, bias: 300 },
      { band: '≥ $10,000', from: 10000, to: null, rows: 1, mae: 1000, mape: 0.0833, bias: -1000 },
    ]);
  });
});

describe('permutationImportance', () => {
  it('ranks the feature the model reads first and gives unread features zero', async () => {
    const rows = Array.from({ length: 200 }, (_, i) =>
      diamond(0.3 + (i % 20) / 10, 4 + (i % 7) / 2, 60 + (i % 5)),
    );
    const predict = async (r: readonly DiamondFeatures[]) => r.map((d) => d.carat * 4000);
    const result = await permutationImportance(predict, rows, 42);
    expect(result.method).toBe('permutation');
    expect(result.features[0].feature).toBe('carat');
    expect(result.features[0].importance).toBeGreaterThan(1000);
    expect(result.features.find((f) => f.feature === 'depth')!.importance).toBe(0);
  });
});

describe('standardisedCoefficients', () => {
  it('multiplies each weight by its column’s spread, so a constant column counts zero', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => diamond(0.5 + (i % 2), 5, 61));
    const result = standardisedCoefficients({ carat: 2, x: 3 }, rows);
    expect(result.features.find((f) => f.feature === 'carat')!.importance).toBeCloseTo(1, 6); // 2 × 0.5
    expect(result.features.find((f) => f.feature === 'x')!.importance).toBe(0);
  });
});
