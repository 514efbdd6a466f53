import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { MedianPruner } from './median-pruner';
import { TpeSampler } from './samplers';
import { runSearch } from './search-runner';
import { WorkerPool } from './worker-pool';
import { ToyObjectiveSetup, toyLoss } from './fixtures/toy-objective.tasks';

const TASKS = path.join(__dirname, 'fixtures', 'toy-objective.tasks');

describe('WorkerPool', () => {
  let pool: WorkerPool;

  beforeAll(async () => {
    const setup: ToyObjectiveSetup = { steps: 4 };
    pool = await WorkerPool.start({ tasksModule: TASKS, setup, size: 2 });
  });

  afterAll(async () => {
    await pool.close();
  });

  it('runs a whole search on worker threads and returns every trial', async () => {
    const result = await runSearch({
      space: {
        x: { kind: 'float', low: 1e-8, high: 1, log: true },
        n: { kind: 'int', low: 1, high: 20 },
      },
      trials: 30,
      executor: pool,
      sampler: new TpeSampler({ seed: 9 }),
      pruner: new MedianPruner(),
    });
    expect(result.trials.map((t) => t.number)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(result.trials.every((t) => t.state === 'complete' || t.state === 'pruned')).toBe(true);
    expect(result.trials.some((t) => t.state === 'pruned')).toBe(true);
    for (const trial of result.trials.filter((t) => t.state === 'complete')) {
      expect(trial.value).toBeCloseTo(toyLoss(trial.params), 12);
    }
  });

  it('spreads work over distinct threads', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pool.runTask<{ echoed: unknown; threadId: number }>('echo', { i }),
      ),
    );
    expect(replies.map((r) => r.echoed)).toEqual(Array.from({ length: 6 }, (_, i) => ({ i })));
    const threads = new Set(replies.map((r) => r.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(threadId)).toBe(false);
  });

  it('rejects a failing task and keeps serving', async () => {
    await expect(pool.runTask('fail', null)).rejects.toThrow('task failed on purpose');
    await expect(pool.runTask('nope', null)).rejects.toThrow('Unknown task nope');
    await expect(pool.runTask('echo', 1)).resolves.toMatchObject({ echoed: 1 });
  });

  it('replaces a worker that dies', async () => {
    await expect(pool.runTask('crash', null)).rejects.toThrow('exited');
    // The replacement needs a moment to start; until then the survivor serves alone.
    const threads = new Set<number>();
    for (let attempt = 0; attempt < 200 && threads.size < 2; attempt++) {
      const replies = await Promise.all(
        [1, 2].map(() => pool.runTask<{ threadId: number }>('echo', null)),
      );
      replies.forEach((reply) => threads.add(reply.threadId));
      if (threads.size < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(threads.size).toBe(2);
  });

  it('refuses work once closed', async () => {
    const closing = await WorkerPool.start({ tasksModule: TASKS, setup: { steps: 1 }, size: 1 });
    await closing.close();
    await expect(closing.runTask('echo', 1)).rejects.toThrow('closed');
  });

  it('reports a tasks module that cannot load', async () => {
    await expect(
      WorkerPool.start({
        tasksModule: path.join(__dirname, 'fixtures', 'missing.tasks'),
        setup: null,
        size: 1,
      }),
    ).rejects.toThrow('Search worker failed to start');
  });
});
