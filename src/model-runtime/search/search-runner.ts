import { performance } from 'node:perf_hooks';
import { Pruner } from './median-pruner';
import { Sampler } from './samplers';
import { SearchSpace, validateSearchSpace } from './search-space';
import { TrialExecutor } from './trial-executor';
import { IntermediateValue, TrialRecord } from './trial';

interface RunSearchOptions {
  space: SearchSpace;
  trials: number;
  executor: TrialExecutor;
  sampler: Sampler;
  /** Omit to let every trial finish. */
  pruner?: Pruner;
  /** Called as each trial ends, in the order they end. */
  onTrial?: (trial: TrialRecord) => void;
  /**
   * Trial n is sampled, and pruned, from trials 0..n-lag only, once they have all ended: the
   * search is then the same whatever the order in which parallel trials end. Default: the
   * executor's concurrency (trials rarely wait); a fixed lag also makes it independent of the
   * number of workers.
   */
  lag?: number;
}

interface SearchResult {
  /** Every trial, by number. */
  trials: TrialRecord[];
  /** The complete trial with the lowest value, if any completed. */
  best: TrialRecord | null;
  wallMs: number;
}

/**
 * Runs `trials` trials, `executor.concurrency` at a time: trial n gets its parameters from the
 * sampler given trials 0..n-lag (waiting for any of them still running), and its intermediate
 * values go to the pruner, judged against the same trials. With a seeded sampler that derives
 * its randomness from the trial number, the whole search is a deterministic function of the
 * seed and the lag, whatever the scheduling of the workers.
 */
export async function runSearch(options: RunSearchOptions): Promise<SearchResult> {
  validateSearchSpace(options.space);
  const started = performance.now();
  const finished: TrialRecord[] = [];
  const ended: (TrialRecord | undefined)[] = new Array<TrialRecord | undefined>(options.trials);
  const waiters = new Map<number, (() => void)[]>();
  const lag = Math.max(1, Math.floor(options.lag ?? options.executor.concurrency));
  let nextNumber = 0;
  let callbackError: unknown;

  /** Trials 0..last, in number order, once every one of them has ended. */
  const historyUpTo = async (last: number): Promise<TrialRecord[]> => {
    const history: TrialRecord[] = [];
    for (let i = 0; i <= last; i++) {
      if (!ended[i]) {
        await new Promise<void>((resolve) => waiters.set(i, [...(waiters.get(i) ?? []), resolve]));
      }
      history.push(ended[i] as TrialRecord);
    }
    return history;
  };

  const lane = async (): Promise<void> => {
    while (nextNumber < options.trials) {
      const number = nextNumber++;
      const history = await historyUpTo(number - lag);
      const params = options.sampler.sample(options.space, history, number);
      const reported: IntermediateValue[] = [];
      const outcome = await options.executor.runTrial({ number, params }, (step, value) => {
        reported.push({ step, value });
        return options.pruner ? options.pruner.shouldPrune(reported, history) : false;
      });
      const record: TrialRecord = {
        number,
        params,
        value: outcome.state === 'complete' ? outcome.value : null,
        state: outcome.state,
        durationMs: outcome.durationMs,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(reported.length > 0 ? { intermediate: reported } : {}),
      };
      finished.push(record);
      ended[number] = record;
      for (const wake of waiters.get(number) ?? []) wake();
      waiters.delete(number);
      try {
        options.onTrial?.(record);
      } catch (error) {
        callbackError ??= error;
      }
    }
  };

  const lanes = Math.max(1, Math.min(options.executor.concurrency, options.trials));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (callbackError !== undefined) throw callbackError;

  const trials = [...finished].sort((a, b) => a.number - b.number);
  let best: TrialRecord | null = null;
  for (const trial of trials) {
    if (
      trial.state === 'complete' &&
      (best === null || (trial.value as number) < (best.value as number))
    ) {
      best = trial;
    }
  }
  return { trials, best, wallMs: performance.now() - started };
}
