/**
 * Entry point of a search worker thread: loads the tasks module named in workerData, then runs
 * the trials and tasks the pool sends, one at a time.
 */
import { MessagePort, parentPort, workerData } from 'node:worker_threads';
import { describeError, executeObjective } from './trial-executor';
import {
  FromWorker,
  ToWorker,
  WorkerInit,
  WorkerTasks,
  WorkerTasksModule,
} from './worker-protocol';

function send(port: MessagePort, message: FromWorker): void {
  port.postMessage(message);
}

async function main(port: MessagePort): Promise<void> {
  const init = workerData as WorkerInit;
  let tasks: WorkerTasks;
  try {
    const loaded = require(init.tasksModule) as WorkerTasksModule;
    tasks = await loaded.createWorkerTasks(init.setup);
  } catch (error) {
    send(port, { type: 'init-failed', error: describeError(error) });
    return;
  }

  const pendingReports = new Map<number, (prune: boolean) => void>();
  const unhealthy = () => tasks.isHealthy !== undefined && !tasks.isHealthy();

  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'report-reply':
        pendingReports.get(message.id)?.(message.prune);
        pendingReports.delete(message.id);
        return;
      case 'trial':
        void runTrial(message);
        return;
      case 'task':
        void runTask(message);
        return;
    }
  });

  async function runTrial(message: Extract<ToWorker, { type: 'trial' }>): Promise<void> {
    const objective = tasks.objective;
    const outcome = objective
      ? await executeObjective(objective, message, (step, value) => {
          return new Promise<boolean>((resolve) => {
            pendingReports.set(message.id, resolve);
            send(port, { type: 'report', id: message.id, step, value });
          });
        })
      : {
          state: 'failed' as const,
          value: null,
          durationMs: 0,
          error: 'The tasks module has no objective',
        };
    const fatal = unhealthy();
    send(port, { type: 'trial-done', id: message.id, outcome, fatal });
    if (fatal) process.exit(1);
  }

  async function runTask(message: Extract<ToWorker, { type: 'task' }>): Promise<void> {
    const task = tasks.tasks?.[message.name];
    try {
      if (!task) throw new Error(`Unknown task ${message.name}`);
      const value = await task(message.payload);
      send(port, { type: 'task-done', id: message.id, ok: true, value });
    } catch (error) {
      const fatal = unhealthy();
      send(port, {
        type: 'task-done',
        id: message.id,
        ok: false,
        error: describeError(error),
        fatal,
      });
      if (fatal) process.exit(1);
    }
  }

  send(port, { type: 'ready' });
}

if (parentPort) void main(parentPort);
