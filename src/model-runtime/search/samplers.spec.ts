import { EnqueuedSampler, RandomSampler, splitTrials, TpeSampler } from './samplers';
import { runSearch } from './search-runner';
import { containsParams, SearchSpace } from './search-space';
import { InlineTrialExecutor } from './trial-executor';
import { TrialParams, TrialRecord } from './trial';

const space: SearchSpace = {
  x: { kind: 'float', low: 1e-8, high: 1, log: true },
  y: { kind: 'float', low: -5, high: 5 },
  n: { kind: 'int', low: 1, high: 20 },
  c: { kind: 'categorical', choices: ['a', 'b', 'c', 'd', 'e'] },
};

/** Minimum 0 at x = 1e-3, y = 1.5, n = 7, c = 'c'. */
const bowl = (p: TrialParams) =>
  (Math.log10(p.x as number) + 3) ** 2 +
  ((p.y as number) - 1.5) ** 2 +
  0.1 * ((p.n as number) - 7) ** 2 +
  (p.c === 'c' ? 0 : 1);

async function search(sampler: TpeSampler | RandomSampler, trials: number) {
  return runSearch({ space, trials, executor: new InlineTrialExecutor(bowl), sampler });
}

describe('TpeSampler', () => {
  it('proposes the same parameter sequence for the same seed', async () => {
    const first = await search(new TpeSampler({ seed: 3 }), 30);
    const second = await search(new TpeSampler({ seed: 3 }), 30);
    const other = await search(new TpeSampler({ seed: 4 }), 30);
    expect(second.trials.map((t) => t.params)).toEqual(first.trials.map((t) => t.params));
    expect(other.trials.map((t) => t.params)).not.toEqual(first.trials.map((t) => t.params));
  });

  it('stays inside the search space', async () => {
    const result = await search(new TpeSampler({ seed: 5 }), 40);
    for (const trial of result.trials) {
      expect(containsParams(space, trial.params)).toBe(true);
      expect(Number.isInteger(trial.params.n)).toBe(true);
    }
  });

  it('finds better optima than random search on average', async () => {
    let tpe = 0;
    let random = 0;
    for (let seed = 0; seed < 6; seed++) {
      tpe += (await search(new TpeSampler({ seed }), 40)).best?.value as number;
      random += (await search(new RandomSampler(seed), 40)).best?.value as number;
    }
    expect(tpe).toBeLessThan(0.6 * random);
  });

  it('concentrates its proposals on the good region after the random start-up', async () => {
    const oneDim: SearchSpace = { x: space.x };
    const loss = (p: TrialParams) => (Math.log10(p.x as number) + 3) ** 2;
    const result = await runSearch({
      space: oneDim,
      trials: 40,
      executor: new InlineTrialExecutor(loss),
      sampler: new TpeSampler({ seed: 11 }),
    });
    const startup = result.trials.slice(0, 10).filter((t) => (t.value as number) < 0.25).length;
    const guided = result.trials.slice(10).filter((t) => (t.value as number) < 0.25).length;
    // A log-uniform draw lands within 0.5 decade of 1e-3 one time in eight.
    expect(guided / 30).toBeGreaterThan(0.3);
    expect(guided / 30).toBeGreaterThan(startup / 10);
  });
});

describe('splitTrials', () => {
  const trial = (
    number: number,
    state: TrialRecord['state'],
    value: number | null,
    step?: number,
  ): TrialRecord => ({
    number,
    params: {},
    value,
    state,
    durationMs: 0,
    ...(step !== undefined ? { intermediate: [{ step, value: 100 + number }] } : {}),
  });

  it('ranks complete trials by value, then pruned ones by how far they got', () => {
    const trials = [
      trial(0, 'pruned', null, 25),
      trial(1, 'complete', 5),
      trial(2, 'pruned', null, 200),
      trial(3, 'complete', 1),
    ];
    const { below, above } = splitTrials(trials, 3);
    expect(below.map((t) => t.number)).toEqual([1, 2, 3]);
    expect(above.map((t) => t.number)).toEqual([0]);
  });
});

describe('EnqueuedSampler', () => {
  it('hands out the enqueued parameters first, then the inner sampler draws exactly as it would alone', () => {
    const small: SearchSpace = {
      x: { kind: 'float', low: 0, high: 1 },
      n: { kind: 'int', low: 1, high: 5 },
    };
    const enqueued = { x: 0.5, n: 3 };
    const sampler = new EnqueuedSampler(new RandomSampler(7), [enqueued]);
    const reference = new RandomSampler(7);
    expect(sampler.sample(small, [])).toEqual(enqueued);
    expect(sampler.sample(small, [])).toEqual(reference.sample(small));
    expect(sampler.sample(small, [])).toEqual(reference.sample(small));
  });
});
