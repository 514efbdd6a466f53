import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { workerEntry } from '../search/worker-pool';
import { ParallelSum, sumShare, TreeArrays } from './xgboost-trees';

/** A share of a large prediction, posted to a prediction thread (trees in shared memory). */
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

/**
 * The worker threads that share a large prediction with the thread that asked (a batch of
 * diamonds): `size` of them (by default one per core beyond the first, at most three; 0 = none).
 * They start on the first large prediction or on `start()`, keep the process alive only while
 * they work, and stop with `stop()` (the model runtime module stops them with the application).
 * Requests are posted at once, so a blend's parts keep a thread busy while this one computes
 * its own share. A thread that fails or dies leaves its share to the asking thread: the answer
 * is the same either way.
 */
export class PredictionThreads {
  private threads: PredictionThread[] = [];
  private nextId = 1;
  private readonly counters = { rowsShared: 0, sharesRedone: 0 };
  private readonly size: number;

  /** `size` undefined: one per core beyond the first, at most three. */
  constructor(size?: number) {
    this.size = size ?? Math.max(0, Math.min(3, availableParallelism() - 1));
  }

  /** Starts the threads now rather than on the first large prediction. */
  start(): void {
    try {
      while (this.threads.length < this.size) {
        this.threads.push(
          new PredictionThread((gone) => {
            // Replaced on the next large prediction.
            this.threads = this.threads.filter((thread) => thread !== gone);
          }),
        );
      }
    } catch (error) {
      logger.warn(`Prediction threads did not start (${(error as Error).message})`);
    }
  }

  /**
   * The rows split in equal shares between this thread and the workers; undefined when there
   * are none. The first call starts them (a new thread takes its first message once loaded).
   */
  parallelSum(): ParallelSum | undefined {
    if (this.threads.length < this.size) this.start();
    return this.threads.length > 0 ? this.sumInParallel : undefined;
  }

  /** Stops the workers; they start again when asked. */
  async stop(): Promise<void> {
    const running = this.threads;
    this.threads = [];
    await Promise.all(running.map((thread) => thread.stop()));
  }

  /** Threads running, rows their answers covered, and shares redone here after a thread failed. */
  stats(): { threads: number; rowsShared: number; sharesRedone: number } {
    return { threads: this.threads.length, ...this.counters };
  }

  private readonly sumInParallel: ParallelSum = async (trees, values, rows, cols) => {
    const helpers = this.threads.filter((thread) => thread.alive);
    const per = Math.ceil(rows / (helpers.length + 1));
    const theirs: Promise<Float32Array>[] = [];
    for (let start = per, h = 0; start < rows; start += per, h++) {
      const count = Math.min(per, rows - start);
      const share = values.slice(start * cols, (start + count) * cols);
      theirs.push(
        helpers[h].sum({ id: this.nextId++, trees, values: share, rows: count, cols }).then(
          (sums) => {
            this.counters.rowsShared += count;
            return sums;
          },
          () => {
            this.counters.sharesRedone++;
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
  };
}
