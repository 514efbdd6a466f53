export type ParamValue = number | string;
export type TrialParams = Record<string, ParamValue>;
export type TrialState = 'complete' | 'pruned' | 'failed';

/** A value a trial reported on its way (e.g. validation MAE after so many boosting rounds). */
export interface IntermediateValue {
  step: number;
  value: number;
}

export interface TrialRecord {
  number: number;
  params: TrialParams;
  /** The objective (lower is better) of a complete trial; null when pruned or failed. */
  value: number | null;
  state: TrialState;
  durationMs: number;
  error?: string;
  /** What the trial reported before it ended, in step order (absent if it reported nothing). */
  intermediate?: IntermediateValue[];
}

/** Thrown by an objective to stop a trial the pruner judged hopeless (Optuna's `TrialPruned`). */
export class TrialPruned extends Error {
  constructor(message = 'Trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

interface TrialContext {
  readonly number: number;
  /** Records an intermediate value; resolves true when the trial should stop (then throw TrialPruned). */
  report(step: number, value: number): Promise<boolean>;
}

/** Returns the value to minimise. */
export type Objective = (params: TrialParams, context: TrialContext) => number | Promise<number>;
