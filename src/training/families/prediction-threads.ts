import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { WorkerPool } from '../search/worker-pool';
import { ParallelSum, sumTrees, TreeArrays } from './xgboost-trees';
import { SumTreesPayload } from './xgboost-trees.tasks';

/**
 * Worker threads that share large tree evaluations (a batch of diamonds) with the thread that
 * asked: one per core beyond the first, at most three. They start on the first large request
 * (which is answered on its own thread meanwhile), idle without keeping the process alive, and
 * read the trees from shared memory. The service sets their number from PREDICTION_THREADS
 * (configurePredictionThreads); 0 turns them off.
 */
const TASKS_MODULE = path.join(__dirname, 'xgboost-trees.tasks');
const logger = new Logger('PredictionThreads');

/** Threads asked for; undefined: one per core beyond the first, at most three. */
let asked: number | undefined;

function configuredSize(): number {
  return asked ?? Math.max(0, Math.min(3, availableParallelism() - 1));
}

/** Sets how many worker threads share large predictions (undefined: by the cores); 0: none. */
export function configurePredictionThreads(threads: number | undefined): void {
  asked = threads;
}

let pool: WorkerPool | undefined;
let starting: Promise<void> | undefined;
let unavailable = false;

function startPool(size: number): void {
  starting ??= WorkerPool.start({
    tasksModule: TASKS_MODULE,
    setup: null,
    size,
    unrefWhenIdle: true,
  })
    .then((started) => {
      pool = started;
    })
    .catch((error: Error) => {
      unavailable = true;
      logger.warn(`Prediction threads did not start (${error.message}); predicting on one thread`);
    });
}

/**
 * The rows split in equal shares between this thread and the workers; undefined while the
 * workers are not running yet (the caller then predicts on its own thread), or when turned off.
 */
export function parallelSum(): ParallelSum | undefined {
  if (pool) return sumInParallel(pool);
  const size = configuredSize();
  if (size > 0 && !unavailable) startPool(size);
  return undefined;
}

/** Waits for the workers to be running (tests, benchmarks warming up); false if they cannot. */
export async function predictionThreadsReady(): Promise<boolean> {
  parallelSum();
  await starting;
  return pool !== undefined;
}

/** Stops the workers (a test's teardown); they start again on the next large request. */
export async function stopPredictionThreads(): Promise<void> {
  const running = pool;
  pool = undefined;
  starting = undefined;
  unavailable = false;
  await running?.close();
}

function sumInParallel(workers: WorkerPool): ParallelSum {
  return async (trees: TreeArrays, ranks: Int32Array, rows: number, cols: number) => {
    const shares = workers.concurrency + 1;
    const per = Math.ceil(rows / shares);
    const jobs: Promise<Float32Array>[] = [];
    for (let start = per; start < rows; start += per) {
      const count = Math.min(per, rows - start);
      const payload: SumTreesPayload = {
        trees,
        ranks: ranks.slice(start * cols, (start + count) * cols),
        rows: count,
        cols,
      };
      // A worker that fails (or dies) leaves its share to this thread: the answer is the same.
      jobs.push(
        workers.runTask<Float32Array>('sumTrees', payload).catch(() => {
          const sums = new Float32Array(count);
          sumTrees(trees, payload.ranks, count, cols, sums);
          return sums;
        }),
      );
    }
    // This thread takes the first share while the workers take theirs.
    const sums = new Float32Array(rows);
    const own = new Float32Array(Math.min(per, rows));
    sumTrees(trees, ranks.subarray(0, own.length * cols), own.length, cols, own);
    sums.set(own, 0);
    const theirs = await Promise.all(jobs);
    theirs.forEach((part, i) => sums.set(part, per * (i + 1)));
    return sums;
  };
}
