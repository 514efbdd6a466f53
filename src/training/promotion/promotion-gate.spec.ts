import { mulberry32 } from '../../common/seeded-random';
import { decidePromotion, GateInput, pairedBootstrap } from './promotion-gate';

/** n rows of prices, and a model's predictions off by a relative error of `spread` (seeded). */
function rows(n: number, seed = 1): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => 500 + random() * 15_000);
}
function model(actual: number[], spread: number, seed: number): number[] {
  const random = mulberry32(seed);
  return actual.map((a) => a * (1 + spread * (random() * 2 - 1)));
}

const actual = rows(1300);
const base = (over: Partial<GateInput>): GateInput => ({
  actual,
  candidate: model(actual, 0.1, 2),
  champion: { kind: 'scored', version: 3, predicted: model(actual, 0.1, 3), basis: 'split models' },
  tolerance: 0,
  seed: 42,
  ...over,
});

describe('decidePromotion', () => {
  it('promotes the first model of a family', () => {
    const d = decidePromotion(base({ champion: { kind: 'none' } }));
    expect(d).toMatchObject({
      promoted: true,
      basis: 'no-champion',
      championMae: null,
      rows: 1300,
    });
    expect(d.candidateMae).toBeGreaterThan(0);
  });

  it('promotes over a champion that cannot be loaded, and says why', () => {
    const d = decidePromotion(
      base({ champion: { kind: 'unavailable', version: 3, error: 'artifact missing' } }),
    );
    expect(d).toMatchObject({ promoted: true, basis: 'champion-unavailable', championVersion: 3 });
    expect(d.reason).toContain('artifact missing');
  });

  it('keeps the champion when there is no row to compare on', () => {
    const d = decidePromotion(
      base({
        actual: [],
        candidate: [],
        champion: { kind: 'scored', version: 3, predicted: [], basis: 'split models' },
      }),
    );
    expect(d).toMatchObject({ promoted: false, basis: 'no-rows', rows: 0 });
  });

  it('promotes a candidate better beyond the noise, with both MAEs on the same rows', () => {
    // 8 % against 10 % relative error: about a fifth lower MAE.
    const d = decidePromotion(base({ candidate: model(actual, 0.08, 2) }));
    expect(d.promoted).toBe(true);
    expect(d.basis).toBe('paired-bootstrap');
    expect(d.candidateMae!).toBeLessThan(d.championMae!);
    expect(d.difference!.high).toBeLessThan(0);
    expect(d.difference!.mean).toBeCloseTo(d.candidateMae! - d.championMae!, 9);
    expect(d.reason).toMatch(/^promoted: .* on 1300 rows/);
  });

  it('keeps the champion against a worse candidate', () => {
    const d = decidePromotion(base({ candidate: model(actual, 0.12, 2) }));
    expect(d.promoted).toBe(false);
    expect(d.difference!.low).toBeGreaterThan(0);
    expect(d.reason).toMatch(/^kept the champion: the candidate is not better beyond the noise/);
  });

  it('keeps the champion against an identical candidate (a retrain on the same rows)', () => {
    const same = model(actual, 0.1, 3);
    const d = decidePromotion(
      base({
        candidate: same,
        champion: { kind: 'scored', version: 3, predicted: same, basis: 'x' },
      }),
    );
    expect(d).toMatchObject({ promoted: false, difference: { mean: 0, low: 0, high: 0 } });
  });

  it('keeps the champion against a candidate better by less than the noise', () => {
    // The champion's errors, each shrunk by 0.2 % on average with a spread far wider than that.
    const champion = model(actual, 0.1, 3);
    const random = mulberry32(9);
    const candidate = champion.map(
      (p, i) => actual[i] + (p - actual[i]) * (0.998 + (random() - 0.5) * 0.4),
    );
    const d = decidePromotion(
      base({
        candidate,
        champion: { kind: 'scored', version: 3, predicted: champion, basis: 'x' },
      }),
    );
    expect(d.candidateMae!).toBeLessThan(d.championMae! * 1.01);
    expect(d.difference!.low).toBeLessThan(0);
    expect(d.difference!.high).toBeGreaterThan(0);
    expect(d.promoted).toBe(false);
  });

  it('with a tolerance, promotes a candidate at most that much worse, and no more', () => {
    const worse = model(actual, 0.105, 2);
    expect(decidePromotion(base({ candidate: worse, tolerance: 0.2 })).promoted).toBe(true);
    const d = decidePromotion(base({ candidate: model(actual, 0.2, 2), tolerance: 0.2 }));
    expect(d.promoted).toBe(false);
    expect(d.reason).toContain('at most 20.0 %');
  });

  it('refuses predictions that do not match the rows', () => {
    expect(() => decidePromotion(base({ candidate: [1, 2] }))).toThrow(RangeError);
    expect(() =>
      decidePromotion(
        base({ champion: { kind: 'scored', version: 1, predicted: [1], basis: 'x' } }),
      ),
    ).toThrow(RangeError);
  });

  it('is deterministic for a seed', () => {
    expect(decidePromotion(base({}))).toEqual(decidePromotion(base({})));
  });
});

describe('pairedBootstrap', () => {
  it('gives the interval the normal approximation gives on a large sample', () => {
    const random = mulberry32(5);
    const d = Array.from({ length: 5000 }, () => random() * 10 - 4); // mean 1, sd 10/√12
    const { mean, low, high } = pairedBootstrap(d, 2000, 7);
    const se = 10 / Math.sqrt(12) / Math.sqrt(5000);
    expect(high - mean).toBeCloseTo(1.645 * se, 1);
    expect(mean - low).toBeCloseTo(1.645 * se, 1);
  });
});
