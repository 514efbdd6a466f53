import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ReportHandler, TrialExecutor, TrialOutcome, TrialRequest } from './trial-executor';
import { FromWorker, ToWorker, WorkerInit } from './worker-protocol';

interface WorkerPoolOptions {
  /** Path of a module exporting `createWorkerTasks(setup)`; extensionless resolves .ts or .js. */
  tasksModule: string;
  /** Handed to `createWorkerTasks` in every worker (structured-cloned). */
  setup: unknown;
  size: number;
}

type Job =
  | {
      kind: 'trial';
      id: number;
      request: TrialRequest;
      onReport: ReportHandler;
      resolve: (outcome: TrialOutcome) => void;
    }
  | {
      kind: 'task';
      id: number;
      name: string;
      payload: unknown;
      resolve: (value: unknown) => void;
      reject: (error: Error) => void;
    };

interface Slot {
  worker: Worker;
  job: Job | null;
  started: number;
}

/**
 * How to start a worker thread's entry file (`dir/name` without extension): as TypeScript through
 * ts-node in tests and ts-node, as JS when built.
 */
export function workerEntry(
  dir: string,
  name: string,
): { file: string; execArgv: string[]; env: NodeJS.ProcessEnv } {
  const typescript = __filename.endsWith('.ts');
  const file = path.join(dir, typescript ? `${name}.ts` : `${name}.js`);
  if (!typescript) return { file, execArgv: [], env: process.env };
  const env = { ...process.env };
  if (!env.TS_NODE_PROJECT) {
    // ts-node looks for tsconfig.json from the working directory; pin the project's own.
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'tsconfig.json');
      if (existsSync(candidate)) {
        env.TS_NODE_PROJECT = candidate;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return { file, execArgv: ['-r', require.resolve('ts-node/register/transpile-only')], env };
}

function failedOutcome(error: string, started: number): TrialOutcome {
  return { state: 'failed', value: null, durationMs: Date.now() - started, error };
}

/**
 * A fixed number of worker threads, each holding its own state built by the tasks module (for
 * XGBoost: its own WebAssembly instance). Runs trials and named tasks, one per worker at a time.
 * A worker that dies is replaced. Call `close()` when done: workers keep the process alive.
 */
export class WorkerPool implements TrialExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(private readonly options: WorkerPoolOptions) {}

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!(Number.isInteger(options.size) && options.size >= 1)) {
      throw new RangeError(`Pool size must be a positive integer, got ${options.size}`);
    }
    const pool = new WorkerPool(options);
    const started = await Promise.allSettled(
      Array.from({ length: options.size }, () => pool.spawn()),
    );
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await pool.close();
      throw failure.reason;
    }
    return pool;
  }

  get concurrency(): number {
    return this.options.size;
  }

  runTrial(request: TrialRequest, onReport: ReportHandler): Promise<TrialOutcome> {
    return new Promise((resolve) => {
      this.enqueue({ kind: 'trial', id: this.nextId++, request, onReport, resolve });
    });
  }

  runTask<T>(name: string, payload: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        kind: 'task',
        id: this.nextId++,
        name,
        payload,
        resolve: (value) => resolve(value as T),
        reject,
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const job of this.queue.splice(0))
      this.fail(job, 'The worker pool was closed', Date.now());
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private enqueue(job: Job): void {
    if (this.closed) {
      this.fail(job, 'The worker pool is closed', Date.now());
      return;
    }
    this.queue.push(job);
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.started = Date.now();
      const message: ToWorker =
        job.kind === 'trial'
          ? { type: 'trial', id: job.id, number: job.request.number, params: job.request.params }
          : { type: 'task', id: job.id, name: job.name, payload: job.payload };
      slot.worker.postMessage(message);
    }
    if (this.slots.length === 0 && !this.closed) {
      for (const job of this.queue.splice(0))
        this.fail(job, 'No search worker is running', Date.now());
    }
  }

  private fail(job: Job, error: string, started: number): void {
    if (job.kind === 'trial') job.resolve(failedOutcome(error, started));
    else job.reject(new Error(error));
  }

  private spawn(): Promise<void> {
    const entry = workerEntry(__dirname, 'search.worker');
    const init: WorkerInit = { tasksModule: this.options.tasksModule, setup: this.options.setup };
    const worker = new Worker(entry.file, {
      workerData: init,
      execArgv: entry.execArgv,
      env: entry.env,
    });
    const slot: Slot = { worker, job: null, started: 0 };
    return new Promise<void>((resolveReady, rejectReady) => {
      let ready = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            if (this.closed) {
              void worker.terminate();
            } else {
              this.slots.push(slot);
              this.dispatch();
            }
            resolveReady();
            return;
          case 'init-failed':
            rejectReady(new Error(`Search worker failed to start: ${message.error}`));
            void worker.terminate();
            return;
          case 'report':
            void this.answerReport(slot, message);
            return;
          case 'trial-done':
            if (slot.job?.kind === 'trial') slot.job.resolve(message.outcome);
            this.release(slot, message.fatal);
            return;
          case 'task-done':
            if (slot.job?.kind === 'task') {
              if (message.ok) slot.job.resolve(message.value);
              else slot.job.reject(new Error(message.error));
            }
            this.release(slot, !message.ok && message.fatal);
            return;
        }
      });
      worker.on('error', (error) => {
        if (!ready) rejectReady(error);
        if (slot.job) this.fail(slot.job, `Search worker crashed: ${error.message}`, slot.started);
        slot.job = null;
      });
      worker.on('exit', () => {
        if (!ready) rejectReady(new Error('Search worker exited before it was ready'));
        const index = this.slots.indexOf(slot);
        if (index < 0) return;
        this.slots.splice(index, 1);
        if (slot.job) this.fail(slot.job, 'Search worker exited', slot.started);
        slot.job = null;
        if (!this.closed) {
          this.spawn().catch(() => this.dispatch());
        }
      });
    });
  }

  private async answerReport(
    slot: Slot,
    message: Extract<FromWorker, { type: 'report' }>,
  ): Promise<void> {
    const job = slot.job;
    let prune = false;
    if (job?.kind === 'trial' && job.id === message.id) {
      try {
        prune = await job.onReport(message.step, message.value);
      } catch {
        prune = false;
      }
    }
    const reply: ToWorker = { type: 'report-reply', id: message.id, prune };
    slot.worker.postMessage(reply);
  }

  private release(slot: Slot, fatal: boolean): void {
    slot.job = null;
    if (fatal) {
      // The worker exits by itself; its 'exit' handler replaces it.
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      if (!this.closed) this.spawn().catch(() => this.dispatch());
      return;
    }
    this.dispatch();
  }
}
