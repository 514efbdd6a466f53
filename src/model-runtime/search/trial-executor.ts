import { performance } from 'node:perf_hooks';
import { Objective, TrialParams, TrialPruned, TrialState } from './trial';

export interface TrialRequest {
  number: number;
  params: TrialParams;
}

/** Called with each intermediate value; answers whether the trial should stop. */
export type ReportHandler = (step: number, value: number) => boolean | Promise<boolean>;

export interface TrialOutcome {
  state: TrialState;
  value: number | null;
  durationMs: number;
  error?: string;
}

/** Runs trials somewhere (this thread, worker threads) and says how many at once. */
export interface TrialExecutor {
  readonly concurrency: number;
  runTrial(request: TrialRequest, onReport: ReportHandler): Promise<TrialOutcome>;
}

/** Runs an objective and turns its ending (value, TrialPruned, error) into an outcome. */
export async function executeObjective(
  objective: Objective,
  request: TrialRequest,
  onReport: (step: number, value: number) => Promise<boolean>,
): Promise<TrialOutcome> {
  const started = performance.now();
  try {
    const value = await objective(request.params, { number: request.number, report: onReport });
    const durationMs = performance.now() - started;
    if (typeof value !== 'number' || Number.isNaN(value)) {
      return {
        state: 'failed',
        value: null,
        durationMs,
        error: `Objective returned ${String(value)}`,
      };
    }
    return { state: 'complete', value, durationMs };
  } catch (error) {
    const durationMs = performance.now() - started;
    if (error instanceof TrialPruned) return { state: 'pruned', value: null, durationMs };
    return { state: 'failed', value: null, durationMs, error: describeError(error) };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Runs the objective in this thread; `concurrency` > 1 only helps asynchronous objectives. */
export class InlineTrialExecutor implements TrialExecutor {
  constructor(
    private readonly objective: Objective,
    readonly concurrency = 1,
  ) {}

  runTrial(request: TrialRequest, onReport: ReportHandler): Promise<TrialOutcome> {
    return executeObjective(this.objective, request, async (step, value) => onReport(step, value));
  }
}
