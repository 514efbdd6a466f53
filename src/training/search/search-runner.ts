import { performance } from 'node:perf_hooks';
import { Pruner } from './median-pruner';
import { Sampler } from './samplers';
import { SearchSpace, validateSearchSpace } from './search-space';
import { TrialExecutor } from './trial-executor';
import { IntermediateValue, TrialRecord } from './trial';

export interface RunSearchOptions {
  space: SearchSpace;
  trials: number;
  executor: TrialExecutor;
  sampler: Sampler;
  /** Omit to let every trial finish. */
  pruner?: Pruner;
  /** Called as each trial ends, in the order they end. */
  onTrial?: (trial: TrialRecord) => void;
}

export interface SearchResult {
  /** Every trial, by number. */
  trials: TrialRecord[];
  /** The complete trial with the lowest value, if any completed. */
  best: TrialRecord | null;
  wallMs: number;
}

/**
 * Runs `trials` trials, `executor.concurrency` at a time: each new trial gets its parameters from
 * the sampler given the trials finished so far, and its intermediate values go to the pruner.
 * With concurrency 1 the whole search is a deterministic function of the sampler's seed.
 */
export async function runSearch(options: RunSearchOptions): Promise<SearchResult> {
  validateSearchSpace(options.space);
  const started = performance.now();
  const finished: TrialRecord[] = [];
  let nextNumber = 0;
  let callbackError: unknown;

  const lane = async (): Promise<void> => {
    while (nextNumber < options.trials) {
      const number = nextNumber++;
      const params = options.sampler.sample(options.space, finished);
      const reported: IntermediateValue[] = [];
      const outcome = await options.executor.runTrial({ number, params }, (step, value) => {
        reported.push({ step, value });
        return options.pruner ? options.pruner.shouldPrune(reported, finished) : false;
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
