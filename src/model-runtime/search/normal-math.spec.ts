import {
  fastNormalCdf,
  fastNormalMass,
  logSumExp,
  normalCdf,
  normalMass,
  normalQuantile,
} from './normal-math';

describe('normal math', () => {
  it('matches reference values of the standard normal CDF, tails included', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 15);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 15);
    expect(normalCdf(-8) / 6.220960574271785e-16).toBeCloseTo(1, 10);
    expect(normalCdf(-20) / 2.7536241186062337e-89).toBeCloseTo(1, 10);
  });

  it('inverts the CDF', () => {
    for (const x of [-30, -8, -3.2, -1, -0.01, 0, 0.5, 2.9, 6]) {
      expect(normalQuantile(normalCdf(x))).toBeCloseTo(x, 6);
    }
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
  });

  it('keeps precision for mass far in a tail', () => {
    expect(normalMass(-1, 1)).toBeCloseTo(0.6826894921370859, 14);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 10);
    expect(normalMass(10, 11) / (7.619853024160527e-24 - 1.9106595744986835e-28)).toBeCloseTo(
      1,
      10,
    );
  });

  it('sums in log space without overflow', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 12);
    expect(logSumExp([])).toBe(-Infinity);
  });
});

describe('fast normal CDF', () => {
  it('stays within 1.2e-7 relative of the precise one, tails included', () => {
    for (let x = -30; x <= 8; x += 0.37) {
      const precise = normalCdf(x);
      expect(Math.abs(fastNormalCdf(x) - precise) / precise).toBeLessThan(1.2e-7);
    }
    expect(Math.abs(fastNormalMass(4, 5) / normalMass(4, 5) - 1)).toBeLessThan(1e-6);
  });
});
