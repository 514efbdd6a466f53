import type { PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { mulberry32 } from '../../common/seeded-random';
import { DriftCalculator, MIN_DRIFT_ROWS, populationStabilityIndex } from './drift.calculator';

/** Seeded uniform generator, so a failure repeats. */
const random = mulberry32;

const CUTS = ['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'] as const;

function diamonds(n: number, seed: number, shift = { carat: 0, ideal: false }): PricedDiamond[] {
  const u = random(seed);
  return Array.from({ length: n }, () => {
    const carat = 0.3 + u() * 1.5 + shift.carat;
    const x = 4 + carat * 2;
    return {
      carat,
      cut: shift.ideal ? 'Ideal' : CUTS[Math.floor(u() * CUTS.length)],
      color: 'G',
      clarity: 'VS1',
      depth: 60 + u() * 3,
      table: 55 + u() * 4,
      x,
      y: x,
      z: x * 0.6,
      price: 4000 * carat,
    };
  });
}

describe('populationStabilityIndex', () => {
  it('is 0 for equal shares and grows with the shift', () => {
    expect(populationStabilityIndex([0.5, 0.5], [0.5, 0.5])).toBe(0);
    const small = populationStabilityIndex([0.5, 0.5], [0.55, 0.45]);
    const large = populationStabilityIndex([0.5, 0.5], [0.9, 0.1]);
    expect(small).toBeCloseTo(0.05 * Math.log(0.55 / 0.5) - 0.05 * Math.log(0.45 / 0.5), 10);
    expect(large).toBeGreaterThan(small);
  });
});

describe('DriftCalculator', () => {
  it('sees no drift between two samples of the same population', () => {
    const report = DriftCalculator.compare(diamonds(2000, 1), diamonds(1000, 2));
    expect(report.maxPsi).toBeLessThan(0.05);
    expect(report.outsideShare).toBeLessThan(0.01);
    expect(report.referenceRows).toBe(2000);
    expect(report.batchRows).toBe(1000);
  });

  it('flags a batch of heavier, all-Ideal stones: high PSI on carat and cut, rows outside the trained range', () => {
    const report = DriftCalculator.compare(
      diamonds(2000, 1),
      diamonds(1000, 3, { carat: 1, ideal: true }),
    );
    const carat = report.features.find((f) => f.feature === 'carat')!;
    const cut = report.features.find((f) => f.feature === 'cut')!;
    expect(carat.psi).toBeGreaterThan(1);
    expect(cut.psi).toBeGreaterThan(1);
    // carat in [1.3, 2.8) against a trained [0.3, 1.8): two thirds outside.
    expect(carat.outsideShare).toBeCloseTo(2 / 3, 1);
    expect(carat.trainedRange![0]).toBeGreaterThanOrEqual(0.3);
    expect(report.maxPsi).toBeGreaterThan(1);
    expect(report.outsideShare).toBeGreaterThan(0.6);
    const depth = report.features.find((f) => f.feature === 'depth')!;
    expect(depth.psi).toBeLessThan(0.05);
  });

  it('says a batch under MIN_DRIFT_ROWS is too few rows to judge: its PSI is the empty bins', () => {
    const few = DriftCalculator.compare(diamonds(2000, 1), diamonds(3, 2));
    expect(few.tooFewRows).toBe(true);
    expect(few.maxPsi).toBeGreaterThan(1); // same population, yet "drifted" by the numbers
    expect(DriftCalculator.compare(diamonds(2000, 1), diamonds(MIN_DRIFT_ROWS, 2)).tooFewRows).toBe(
      false,
    );
  });

  it('refuses empty inputs', () => {
    expect(() => DriftCalculator.compare([], diamonds(10, 1))).toThrow(RangeError);
  });
});
