import { mulberry32 } from '../../common/seeded-random';
import { conformalQuantile, MIN_CALIBRATION_ROWS, PriceRangeCalculator } from './price-range';

/** Seeded standard normal draws (mulberry32 + Box-Muller), so a failure repeats. */
function normals(n: number, seed: number): number[] {
  const uniform = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  });
}

/** Prices spread from ~$400 to ~$18,000, predicted with a 12 % log-normal error. */
function sample(n: number, seed: number): { actual: number[]; predicted: number[] } {
  const noise = normals(n * 2, seed);
  const predicted = noise.slice(0, n).map((z) => Math.exp(7.8 + 1.0 * z));
  const actual = predicted.map((p, i) => p * Math.exp(0.12 * noise[n + i]));
  return { actual, predicted };
}

describe('PriceRangeCalculator', () => {
  it('takes the ⌈(n+1)·level⌉-th smallest score as the conformal quantile', () => {
    const sorted = Array.from({ length: 9 }, (_, i) => i + 1); // 1..9
    expect(conformalQuantile(sorted, 0.5)).toBe(5); // ⌈10·0.5⌉ = 5
    expect(conformalQuantile(sorted, 0.8)).toBe(8);
    expect(conformalQuantile(sorted, 0.95)).toBe(Infinity); // ⌈9.5⌉ = 10 > 9
  });

  it('stores non-decreasing quantiles for the levels 0.50 to 0.99', () => {
    const { actual, predicted } = sample(1000, 1);
    const c = PriceRangeCalculator.calibrate(actual, predicted);
    expect(c.method).toBe('split-conformal-log');
    expect(c.rows).toBe(1000);
    expect(c.levels[0]).toBe(0.5);
    expect(c.levels[c.levels.length - 1]).toBe(0.99);
    expect(c.quantiles).toHaveLength(c.levels.length);
    for (let i = 1; i < c.quantiles.length; i++)
      expect(c.quantiles[i]).toBeGreaterThanOrEqual(c.quantiles[i - 1]);
    // |N(0, 0.12)| has its 90 % quantile at 1.645 × 0.12 ≈ 0.197.
    expect(PriceRangeCalculator.quantileAt(c, 0.9)).toBeCloseTo(0.197, 1);
  });

  it('covers fresh rows at the level asked (90 % and 80 %)', () => {
    const calibration = PriceRangeCalculator.calibrate(
      ...(Object.values(sample(2000, 2)) as [number[], number[]]),
    );
    const fresh = sample(20000, 3);
    const at90 = PriceRangeCalculator.coverage(calibration, fresh.actual, fresh.predicted, 0.9);
    const at80 = PriceRangeCalculator.coverage(calibration, fresh.actual, fresh.predicted, 0.8);
    expect(at90.coverage).toBeGreaterThanOrEqual(0.88);
    expect(at90.coverage).toBeLessThanOrEqual(0.92);
    expect(at80.coverage).toBeGreaterThanOrEqual(0.78);
    expect(at80.coverage).toBeLessThanOrEqual(0.82);
    expect(at80.meanRelativeWidth).toBeLessThan(at90.meanRelativeWidth);
  });

  it('gives ranges of the stone’s size and always holds the price', () => {
    const { actual, predicted } = sample(500, 4);
    const c = PriceRangeCalculator.calibrate(actual, predicted);
    const cheap = PriceRangeCalculator.range(c, 500, 0.9);
    const dear = PriceRangeCalculator.range(c, 15000, 0.9);
    expect(cheap.low).toBeLessThanOrEqual(500);
    expect(cheap.high).toBeGreaterThanOrEqual(500);
    expect((dear.high - dear.low) / (cheap.high - cheap.low)).toBeCloseTo(30, 0);
    expect(dear.level).toBe(0.9);
  });

  it('interpolates between stored levels and refuses levels outside 0.5–0.99', () => {
    const c = PriceRangeCalculator.calibrate(
      ...(Object.values(sample(500, 5)) as [number[], number[]]),
    );
    const q905 = PriceRangeCalculator.quantileAt(c, 0.905);
    expect(q905).toBeGreaterThanOrEqual(PriceRangeCalculator.quantileAt(c, 0.9));
    expect(q905).toBeLessThanOrEqual(PriceRangeCalculator.quantileAt(c, 0.91));
    expect(() => PriceRangeCalculator.quantileAt(c, 0.995)).toThrow(RangeError);
    expect(() => PriceRangeCalculator.quantileAt(c, 0.4)).toThrow(RangeError);
  });

  it('reports cross-conformal coverage near each checked level', () => {
    const c = PriceRangeCalculator.calibrate(
      ...(Object.values(sample(4000, 6)) as [number[], number[]]),
    );
    expect(c.checks.map((k) => k.level)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]);
    for (const check of c.checks) expect(Math.abs(check.coverage - check.level)).toBeLessThan(0.03);
  });

  it('refuses a holdout too small for a 0.99 range, and mismatched lengths', () => {
    const n = MIN_CALIBRATION_ROWS - 1;
    const small = Array.from({ length: n }, (_, i) => 100 + i);
    expect(() => PriceRangeCalculator.calibrate(small, small)).toThrow(/at least 99/);
    expect(() => PriceRangeCalculator.calibrate([1, 2], [1])).toThrow(RangeError);
  });
});
