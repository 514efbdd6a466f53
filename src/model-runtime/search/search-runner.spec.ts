import { MedianPruner } from './median-pruner';
import { RandomSampler, Sampler, TpeSampler } from './samplers';
import { runSearch } from './search-runner';
import { SearchSpace } from './search-space';
import { InlineTrialExecutor } from './trial-executor';
import { Objective, TrialParams, TrialPruned, TrialRecord } from './trial';

const space: SearchSpace = {
  x: { kind: 'float', low: 1e-8, high: 1, log: true },
  n: { kind: 'int', low: 1, high: 20 },
};

const loss = (params: TrialParams) =>
  (Math.log10(params.x as number) + 3) ** 2 + 0.1 * ((params.n as number) - 7) ** 2;

/** Reports 5 steps converging to the final loss; stops when told to. */
const converging: Objective = async (params, context) => {
  for (let step = 1; step <= 5; step++) {
    if (await context.report(step, loss(params) + 10 / step)) throw new TrialPruned();
  }
  return loss(params);
};

describe('runSearch', () => {
  it('runs every trial and reports each one as it ends', async () => {
    const seen: TrialRecord[] = [];
    const result = await runSearch({
      space,
      trials: 25,
      executor: new InlineTrialExecutor(converging),
      sampler: new TpeSampler({ seed: 1 }),
      onTrial: (trial) => seen.push(trial),
    });
    expect(result.trials.map((t) => t.number)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(seen).toHaveLength(25);
    expect(result.trials.every((t) => t.state === 'complete' && t.durationMs >= 0)).toBe(true);
    expect(result.trials[0].intermediate).toHaveLength(5);
    const values = result.trials.map((t) => t.value as number);
    expect(result.best?.value).toBe(Math.min(...values));
  });

  it('prunes a clearly hopeless trial at its first report', async () => {
    // Six good trials, then one whose loss is far above theirs.
    const sequence = [...new Array<number>(6).fill(1e-3), 1];
    const fixed: Sampler = {
      sample: (_space, finished) => ({ x: sequence[finished.length], n: 7 }),
    };
    const result = await runSearch({
      space,
      trials: 7,
      executor: new InlineTrialExecutor(converging),
      sampler: fixed,
      pruner: new MedianPruner({ nStartupTrials: 5 }),
    });
    expect(result.trials.slice(0, 6).every((t) => t.state === 'complete')).toBe(true);
    expect(result.trials[6]).toMatchObject({ state: 'pruned', value: null });
    expect(result.trials[6].intermediate).toHaveLength(1);
  });

  it('spends its pruning on the worse trials', async () => {
    const result = await runSearch({
      space,
      trials: 40,
      executor: new InlineTrialExecutor(converging),
      sampler: new RandomSampler(2),
      pruner: new MedianPruner({ nStartupTrials: 5 }),
    });
    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    const pruned = result.trials.filter((t) => t.state === 'pruned');
    const kept = result.trials.slice(5).filter((t) => t.state === 'complete');
    expect(result.trials.slice(0, 5).every((t) => t.state === 'complete')).toBe(true);
    expect(pruned.length).toBeGreaterThan(10);
    expect(mean(pruned.map((t) => loss(t.params)))).toBeGreaterThan(
      2 * mean(kept.map((t) => loss(t.params))),
    );
  });

  it('records failures and carries on', async () => {
    let calls = 0;
    const flaky: Objective = (params) => {
      calls++;
      if (calls % 3 === 0) throw new Error('boom');
      return params.n as number;
    };
    const result = await runSearch({
      space,
      trials: 9,
      executor: new InlineTrialExecutor(flaky),
      sampler: new RandomSampler(3),
    });
    const failed = result.trials.filter((t) => t.state === 'failed');
    expect(failed).toHaveLength(3);
    expect(failed[0]).toMatchObject({ value: null, error: 'boom' });
    expect(result.best?.state).toBe('complete');
  });

  it('fails a trial whose objective returns NaN', async () => {
    const result = await runSearch({
      space,
      trials: 1,
      executor: new InlineTrialExecutor(() => NaN),
      sampler: new RandomSampler(4),
    });
    expect(result.trials[0].state).toBe('failed');
    expect(result.best).toBeNull();
  });

  it('gives the same trials whatever order parallel trials end in', async () => {
    // Each trial sleeps a pseudo-random time that differs between the two runs.
    const runWith = async (jitterSeed: number) => {
      let state = jitterSeed;
      const sleepy: Objective = async (params, context) => {
        state = (state * 1103515245 + 12345) % 2147483648;
        await new Promise((resolve) => setTimeout(resolve, state % 7));
        return converging(params, context);
      };
      const result = await runSearch({
        space,
        trials: 30,
        executor: new InlineTrialExecutor(sleepy, 3),
        sampler: new TpeSampler({ seed: 5, nStartupTrials: 5 }),
        pruner: new MedianPruner({ nStartupTrials: 3 }),
      });
      return result.trials.map((t) => [t.params, t.state, t.value]);
    };
    const first = await runWith(1);
    expect(await runWith(99)).toEqual(first);
    // Not a constant: the sampler does explore.
    expect(new Set(first.map(([params]) => JSON.stringify(params))).size).toBe(30);
  });
});
