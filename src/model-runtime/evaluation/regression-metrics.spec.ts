import { regressionMetrics, samplePairs } from './regression-metrics';

describe('regressionMetrics', () => {
  it('computes R2, MAE, RMSE and MAPE as scikit-learn does', () => {
    // sklearn: r2_score([3, -0.5, 2, 7], [2.5, 0, 2, 8]) = 0.9486081370449679
    const metrics = regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(metrics.count).toBe(4);
    expect(metrics.r2).toBeCloseTo(0.9486081370449679, 12);
    expect(metrics.mae).toBeCloseTo(0.5, 12);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    // sklearn: mean_absolute_percentage_error = 0.3273809523809524
    expect(metrics.mape).toBeCloseTo(0.3273809523809524, 12);
  });

  it('gives a perfect score to perfect predictions', () => {
    const metrics = regressionMetrics([100, 200, 300], [100, 200, 300]);
    expect(metrics).toMatchObject({ r2: 1, mae: 0, rmse: 0, mape: 0 });
  });

  it('keeps a deterministic, evenly spread sample of at most 200 pairs', () => {
    const actual = Array.from({ length: 998 }, (_, i) => 1000 + i);
    const predicted = actual.map((value) => value * 1.1);
    const first = regressionMetrics(actual, predicted);
    const second = regressionMetrics(actual, predicted);
    expect(first.sample).toHaveLength(200);
    expect(first.sample).toEqual(second.sample);
    expect(first.sample[0]).toEqual({ actual: 1000, predicted: 1100 });
    expect(first.sample[199].actual).toBeGreaterThan(1990);
    expect(regressionMetrics(actual, predicted, { sampleSize: 0 }).sample).toEqual([]);
    expect(samplePairs([1, 2], [1, 2], 200)).toHaveLength(2);
  });

  it('refuses mismatched or empty inputs', () => {
    expect(() => regressionMetrics([1, 2], [1])).toThrow(RangeError);
    expect(() => regressionMetrics([], [])).toThrow(RangeError);
  });
});
