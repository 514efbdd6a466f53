import { mulberry32 } from '../../common/seeded-random';
import type { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import {
  checkBatchAgainstChampion,
  checkBatchPrices,
  MIN_BATCH_CHECK_ROWS,
} from './batch-price-check';

/** n predictions and actual prices off by a log-normal-ish residual of spread 0.13, times `scale`. */
function batch(n: number, scale = 1, seed = 3) {
  const random = mulberry32(seed);
  const predicted = Array.from({ length: n }, () => 500 + random() * 10_000);
  const actual = predicted.map(
    (p) => p * scale * Math.exp((random() + random() + random() - 1.5) * 0.26),
  );
  return { actual, predicted };
}
const Q90 = 0.2; // about the 90 % quantile of |residual| above

describe('checkBatchPrices', () => {
  it('lets a batch of the same market through, with its figures', () => {
    const { actual, predicted } = batch(500);
    const c = checkBatchPrices(actual, predicted, Q90);
    expect(c.verdict).toBe('passed');
    expect(c.outsideShare!).toBeLessThan(0.25);
    expect(Math.abs(c.medianLogRatio!)).toBeLessThan(0.05);
    expect(c.reason).toMatch(/^passed: 500 rows/);
  });

  it('holds a batch whose prices were tripled, saying why', () => {
    const { actual, predicted } = batch(500, 3);
    const c = checkBatchPrices(actual, predicted, Q90);
    expect(c.verdict).toBe('held');
    expect(c.medianLogRatio!).toBeCloseTo(Math.log(3), 1);
    expect(c.reason).toContain('median log(actual/predicted) +1.');
    expect(c.reason).toContain('outside the champion');
  });

  it('holds a halved batch, and one shifted by half as much again', () => {
    expect(
      checkBatchPrices(...(Object.values(batch(300, 0.5)) as [number[], number[]]), Q90).verdict,
    ).toBe('held');
    expect(
      checkBatchPrices(...(Object.values(batch(300, 1.5)) as [number[], number[]]), Q90).verdict,
    ).toBe('held');
  });

  it('holds a batch whose prices stray too often though centred (noise)', () => {
    const random = mulberry32(8);
    const predicted = Array.from({ length: 300 }, () => 1000 + random() * 5000);
    const actual = predicted.map((p) => p * Math.exp((random() * 2 - 1) * 1.1));
    const c = checkBatchPrices(actual, predicted, Q90);
    expect(c.verdict).toBe('held');
    expect(c.reason).not.toContain('median');
  });

  it('says "too few rows to judge" below the minimum, and lets the batch through', () => {
    const { actual, predicted } = batch(MIN_BATCH_CHECK_ROWS - 1, 3);
    expect(checkBatchPrices(actual, predicted, Q90)).toMatchObject({
      verdict: 'too-few-rows',
      outsideShare: null,
      medianLogRatio: null,
      reason: expect.stringContaining('too few rows to judge'),
    });
  });

  it('refuses predictions that do not match the prices', () => {
    expect(() => checkBatchPrices([1, 2], [1], Q90)).toThrow(RangeError);
  });
});

describe('checkBatchAgainstChampion', () => {
  const ranges = {
    features: {
      carat: { min: 0.2, max: 2 },
      depth: { min: 50, max: 70 },
      table: { min: 50, max: 70 },
      x: { min: 3, max: 9 },
      y: { min: 3, max: 9 },
      z: { min: 2, max: 6 },
    },
    price: { min: 300, max: 6000 },
  };
  const diamond = (carat: number, price: number): PricedDiamond => ({
    carat,
    cut: 'Ideal',
    color: 'G',
    clarity: 'VS1',
    depth: 61.5,
    table: 56,
    x: 5.7,
    y: 5.7,
    z: 3.5,
    price,
  });

  it('judges only the rows inside the trained measurements and prices, and says how many it left', () => {
    // 40 ordinary rows priced as predicted, 40 dearer than anything trained on, 5 too heavy.
    const rows = [
      ...Array.from({ length: 40 }, (_, i) => diamond(0.5, 1000 + i)),
      ...Array.from({ length: 40 }, (_, i) => diamond(1.5, 9000 + i)),
      ...Array.from({ length: 5 }, () => diamond(3, 1000)),
    ];
    const predicted = rows.map((r, i) => (i < 40 ? r.price : 5000));
    const c = checkBatchAgainstChampion(rows, predicted, 0.2, ranges);
    expect(c).toMatchObject({ verdict: 'passed', rows: 40, batchRows: 85, outsideShare: 0 });
    expect(c.reason).toContain('45 of 85 rows lie beyond');
  });

  it('still holds a tripled batch on the rows it leaves inside', () => {
    const rows = Array.from({ length: 90 }, (_, i) => diamond(0.5, (500 + i * 50) * 3));
    const predicted = Array.from({ length: 90 }, (_, i) => 500 + i * 50);
    const c = checkBatchAgainstChampion(rows, predicted, 0.2, ranges);
    expect(c.verdict).toBe('held');
    expect(c.rows).toBeLessThan(90);
    expect(c.medianLogRatio!).toBeCloseTo(Math.log(3), 5);
  });

  it('lets a batch the champion cannot judge through as too few rows, and judges all without ranges', () => {
    const dear = Array.from({ length: 50 }, () => diamond(1.5, 9000));
    expect(checkBatchAgainstChampion(dear, new Array(50).fill(5000), 0.2, ranges)).toMatchObject({
      verdict: 'too-few-rows',
      rows: 0,
      batchRows: 50,
    });
    expect(checkBatchAgainstChampion(dear, new Array(50).fill(5000), 0.2, null)).toMatchObject({
      verdict: 'held',
      rows: 50,
    });
  });
});
