import { TrialOutcome } from './trial-executor';
import { Objective, TrialParams } from './trial';

/** What a module loaded into search workers provides, built once per worker from the setup data. */
export interface WorkerTasks {
  objective?: Objective;
  /** Named one-off jobs (e.g. a final refit) run with `WorkerPool.runTask`. */
  tasks?: Record<string, (payload: unknown) => unknown>;
  /** False once the worker's state is unusable (e.g. its WebAssembly instance aborted). */
  isHealthy?: () => boolean;
}

/** The contract of a worker tasks module: `export function createWorkerTasks(setup)`. */
export interface WorkerTasksModule {
  createWorkerTasks(setup: unknown): WorkerTasks | Promise<WorkerTasks>;
}

export interface WorkerInit {
  tasksModule: string;
  setup: unknown;
}

export type ToWorker =
  | { type: 'trial'; id: number; number: number; params: TrialParams }
  | { type: 'report-reply'; id: number; prune: boolean }
  | { type: 'task'; id: number; name: string; payload: unknown };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; error: string }
  | { type: 'report'; id: number; step: number; value: number }
  | { type: 'trial-done'; id: number; outcome: TrialOutcome; fatal: boolean }
  | { type: 'task-done'; id: number; ok: true; value: unknown }
  | { type: 'task-done'; id: number; ok: false; error: string; fatal: boolean };
