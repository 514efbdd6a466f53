import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { workerEntry } from '../search/worker-pool';
import { ParallelSum, sumShare, TreeArrays } from './xgboost-trees';

/**
 * Worker threads that share large tree evaluations (a batch of diamonds) with the thread that
 * asked: by default one per core beyond the first, at most three. They start on the first large
 * request (answered on its own thread meanwhile), keep the process alive only while they work,
 * and read the trees from shared memory. Requests are posted at once, not one at a time, so a
 * blend's four models keep a thread busy while this one computes its own shares. A thread that
 * fails or dies leaves its share to the asking thread: the answer is the same either way.
 */
export interface SumRequest {
  id: number;
  trees: TreeArrays;
  /** The share's rows, every value present. */
  values: Float32Array;
  rows: number;
  cols: number;
}

export type SumResponse = { id: number; sums: Float32Array } | { id: number; error: string };

interface Pending {
  resolve: (sums: Float32Array) => void;
  reject: (error: Error) => void;
}

const logger = new Logger('PredictionThreads');

class PredictionThread {
  private readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  alive = true;

  constructor(onExit: (thread: PredictionThread) => void) {
    const entry = workerEntry(__dirname, 'prediction-threads.worker');
    this.worker = new Worker(entry.file, { execArgv: entry.execArgv, env: entry.env });
    this.worker.unref();
    this.worker.on('message', (response: SumResponse) => {
      const waiting = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (this.pending.size === 0) this.worker.unref();
      if (!waiting) return;
      if ('sums' in response) waiting.resolve(response.sums);
      else waiting.reject(new Error(response.error));
    });
    const fail = (reason: string) => {
      this.alive = false;
      for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
      this.pending.clear();
      onExit(this);
    };
    this.worker.on('error', (error) => fail(`Prediction thread failed: ${error.message}`));
    this.worker.on('exit', (code) => fail(`Prediction thread exited (${code})`));
  }

  get load(): number {
    return this.pending.size;
  }

  sum(request: SumRequest): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      if (!this.alive) return reject(new Error('Prediction thread is stopped'));
      this.pending.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  async stop(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}

/** Threads asked for; undefined: one per core beyond the first, at most three. */
let asked: number | undefined;
let threads: PredictionThread[] = [];
let nextId = 1;
const stats = { rowsShared: 0, sharesRedone: 0 };

function configuredSize(): number {
  return asked ?? Math.max(0, Math.min(3, availableParallelism() - 1));
}

/** Sets how many worker threads share large predictions (undefined: by the cores); 0: none. */
export function configurePredictionThreads(count: number | undefined): void {
  asked = count;
}

/** Starts the threads now rather than on the first large request (the service, at start). */
export function startPredictionThreads(): void {
  startThreads();
}

function startThreads(): void {
  const size = configuredSize();
  try {
    while (threads.length < size) {
      threads.push(
        new PredictionThread((gone) => {
          // Replaced on the next large request.
          threads = threads.filter((thread) => thread !== gone);
        }),
      );
    }
  } catch (error) {
    logger.warn(`Prediction threads did not start (${(error as Error).message})`);
  }
}

/**
 * The rows split in equal shares between this thread and the workers; undefined when turned off.
 * The first call starts the threads (a new thread takes its first message once it has loaded).
 */
export function parallelSum(): ParallelSum | undefined {
  if (threads.length < configuredSize()) startThreads();
  return threads.length > 0 ? sumInParallel : undefined;
}

/** Stops the workers (application shutdown, a test's teardown); they start again when asked. */
export async function stopPredictionThreads(): Promise<void> {
  const running = threads;
  threads = [];
  await Promise.all(running.map((thread) => thread.stop()));
}

/** Threads running, rows their answers covered, and shares redone here after a thread failed. */
export function predictionThreadStats(): {
  threads: number;
  rowsShared: number;
  sharesRedone: number;
} {
  return { threads: threads.length, ...stats };
}

async function sumInParallel(
  trees: TreeArrays,
  values: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const helpers = threads.filter((thread) => thread.alive);
  const per = Math.ceil(rows / (helpers.length + 1));
  const theirs: Promise<Float32Array>[] = [];
  for (let start = per, h = 0; start < rows; start += per, h++) {
    const count = Math.min(per, rows - start);
    const share = values.slice(start * cols, (start + count) * cols);
    theirs.push(
      helpers[h].sum({ id: nextId++, trees, values: share, rows: count, cols }).then(
        (sums) => {
          stats.rowsShared += count;
          return sums;
        },
        () => {
          stats.sharesRedone++;
          return sumShare(trees, share, count, cols);
        },
      ),
    );
  }
  // This thread takes the first share while the workers take theirs.
  const own = Math.min(per, rows);
  const sums = new Float32Array(rows);
  sums.set(sumShare(trees, values.subarray(0, own * cols), own, cols));
  (await Promise.all(theirs)).forEach((part, i) => sums.set(part, per * (i + 1)));
  return sums;
}
