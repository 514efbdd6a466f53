/**
 * Worker-thread side of the parallel tree evaluation (prediction-threads.ts): sums the trees
 * over the rows it is sent. The trees arrive as views of shared memory, never copied.
 */
import { WorkerTasks } from '../search/worker-protocol';
import { sumTrees, TreeArrays } from './xgboost-trees';

export interface SumTreesPayload {
  trees: TreeArrays;
  ranks: Int32Array;
  rows: number;
  cols: number;
}

export function createWorkerTasks(): WorkerTasks {
  return {
    tasks: {
      sumTrees: (payload) => {
        const { trees, ranks, rows, cols } = payload as SumTreesPayload;
        const sums = new Float32Array(rows);
        sumTrees(trees, ranks, rows, cols, sums);
        return sums;
      },
    },
  };
}
