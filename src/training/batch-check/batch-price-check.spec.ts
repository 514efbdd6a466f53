import { mulberry32 } from '../../common/seeded-random';
import { checkBatchPrices, MIN_BATCH_CHECK_ROWS } from './batch-price-check';

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
