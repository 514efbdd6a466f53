/**
 * Entry point of a prediction thread (prediction-threads.ts): ranks the values of the rows each
 * message carries, sums the trees over them and answers with the sums. The trees arrive as views
 * of shared memory.
 */
import { parentPort } from 'node:worker_threads';
import type { SumRequest, SumResponse } from './prediction-threads';
import { sumShare } from './xgboost-trees';

const port = parentPort;
port?.on('message', (request: SumRequest) => {
  let response: SumResponse;
  try {
    const sums = sumShare(request.trees, request.values, request.rows, request.cols);
    response = { id: request.id, sums };
  } catch (error) {
    response = { id: request.id, error: (error as Error).message ?? String(error) };
  }
  port.postMessage(response);
});
