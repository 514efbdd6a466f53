import { IntermediateValue, TrialRecord } from './trial';

/** Decides, from what a running trial reported so far, whether to stop it. */
export interface Pruner {
  shouldPrune(reported: readonly IntermediateValue[], finished: readonly TrialRecord[]): boolean;
}

interface MedianPrunerOptions {
  /** No pruning until this many trials completed (Optuna: 5). */
  nStartupTrials?: number;
  /** No pruning before this step (Optuna: 0). */
  nWarmupSteps?: number;
  /** Completed trials that must have reported the same step to compare against (Optuna: 1). */
  nMinTrials?: number;
}

/** Linear-interpolated percentile, as numpy's `percentile` (NaNs dropped). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = (q / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
}

/**
 * Optuna's MedianPruner for a minimised objective: stop a trial whose best value so far is worse
 * than the median of the completed trials' values at the same step.
 */
export class MedianPruner implements Pruner {
  private readonly nStartupTrials: number;
  private readonly nWarmupSteps: number;
  private readonly nMinTrials: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.nStartupTrials = options.nStartupTrials ?? 5;
    this.nWarmupSteps = options.nWarmupSteps ?? 0;
    this.nMinTrials = options.nMinTrials ?? 1;
  }

  shouldPrune(reported: readonly IntermediateValue[], finished: readonly TrialRecord[]): boolean {
    const completed = finished.filter((t) => t.state === 'complete');
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    if (reported.length === 0) return false;
    const step = reported[reported.length - 1].step;
    if (step < this.nWarmupSteps) return false;
    let best = Infinity;
    for (const { value } of reported) {
      if (Number.isNaN(value)) return true;
      best = Math.min(best, value);
    }
    const atStep: number[] = [];
    for (const trial of completed) {
      const match = trial.intermediate?.find((v) => v.step === step);
      if (match) atStep.push(match.value);
    }
    if (atStep.length < this.nMinTrials) return false;
    const median = percentile(atStep, 50);
    return !Number.isNaN(median) && best > median;
  }
}
