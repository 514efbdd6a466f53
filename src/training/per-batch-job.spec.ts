import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { PerBatchJob } from './per-batch-job';

/** A promise with its resolve and reject in hand. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the microtasks queued so far (and those they queue) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PerBatchJob', () => {
  let logger: Logger;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    logger = new Logger('PerBatchJobSpec');
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });

  function jobOf(work: (batchId: number) => Promise<string>, recorded: number[] = []) {
    const calls: number[] = [];
    const job = new PerBatchJob<string>({
      logger,
      failure: 'price',
      work: (batchId) => {
        calls.push(batchId);
        return work(batchId);
      },
      recorded: (ids) => Promise.resolve(ids.filter((id) => recorded.includes(id))),
    });
    return { job, calls };
  }

  it('runs a batch once while a run for it is under way, and again once it has ended', async () => {
    const pending = deferred<string>();
    const { job, calls } = jobOf(() => pending.promise);
    const first = job.run(4);
    const second = job.run(4);
    expect(second).toBe(first);
    expect(calls).toEqual([4]);
    pending.resolve('done');
    await expect(first).resolves.toBe('done');
    await job.run(4);
    expect(calls).toEqual([4, 4]);
  });

  it('runs different batches side by side', async () => {
    const { job, calls } = jobOf((id) => Promise.resolve(`batch ${id}`));
    await expect(Promise.all([job.run(1), job.run(2)])).resolves.toEqual(['batch 1', 'batch 2']);
    expect(calls).toEqual([1, 2]);
  });

  it('a failed run is thrown to its caller and forgotten, so the next call runs again', async () => {
    let fail = true;
    const { job, calls } = jobOf(() =>
      fail ? Promise.reject(new Error('no champion')) : Promise.resolve('ok'),
    );
    await expect(job.run(3)).rejects.toThrow('no champion');
    fail = false;
    await expect(job.run(3)).resolves.toBe('ok');
    expect(calls).toEqual([3, 3]);
  });

  it('catches up, in order and one at a time, only the batches with no record', async () => {
    const order: string[] = [];
    const { job, calls } = jobOf(
      async (id) => {
        order.push(`start ${id}`);
        await settle();
        order.push(`end ${id}`);
        return `batch ${id}`;
      },
      [2, 4],
    );
    await job.catchUp([1, 2, 3, 4, 5]);
    expect(calls).toEqual([1, 3, 5]);
    expect(order).toEqual(['start 1', 'end 1', 'start 3', 'end 3', 'start 5', 'end 5']);
    await job.catchUp([]);
    expect(calls).toEqual([1, 3, 5]);
  });

  it('catch-up joins a run already under way instead of starting a second', async () => {
    const pending = deferred<string>();
    const { job, calls } = jobOf(() => pending.promise);
    const heard = job.run(7);
    const caughtUp = job.catchUp([7]);
    await settle();
    expect(calls).toEqual([7]);
    pending.resolve('done');
    await Promise.all([heard, caughtUp]);
    expect(calls).toEqual([7]);
  });

  it('runs each batch the dataset announces; a failure is logged as a warning, never thrown', async () => {
    const announced = new Subject<number>();
    const { job, calls } = jobOf((id) =>
      id === 2 ? Promise.reject(new Error('database gone')) : Promise.resolve('ok'),
    );
    job.listen(announced);
    announced.next(1);
    announced.next(2);
    await settle();
    expect(calls).toEqual([1, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Could not price batch 2: database gone');
    await job.stop();
  });

  it('stop waits for the runs under way and hears no batch after it', async () => {
    const announced = new Subject<number>();
    const pending = deferred<string>();
    const { job, calls } = jobOf(() => pending.promise);
    job.listen(announced);
    announced.next(1);
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    pending.reject(new Error('interrupted'));
    await stopping;
    expect(stopped).toBe(true);
    announced.next(2);
    await settle();
    expect(calls).toEqual([1]);
  });
});
