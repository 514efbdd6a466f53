/**
 * Entry point of a prediction thread (prediction-threads.ts): sums the trees over the rows each
 * message carries and answers with the sums. The trees arrive as views of shared memory.
 */
import { parentPort } from 'node:worker_threads';
import { SumRequest, SumResponse } from './prediction-threads';
import { sumTrees } from './xgboost-trees';

const port = parentPort;
port?.on('message', (request: SumRequest) => {
  let response: SumResponse;
  try {
    const sums = new Float32Array(request.rows);
    sumTrees(request.trees, request.ranks, request.rows, request.cols, sums);
    response = { id: request.id, sums };
  } catch (error) {
    response = { id: request.id, error: (error as Error).message ?? String(error) };
  }
  port.postMessage(response);
});
