import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { HeldLock } from '../database/advisory-lock';
import { TrainingService } from './training.service';

/**
 * Starting a run while another instance holds the training lock: a run recorded as running is a
 * 409 at once; a lock held with no run running (its holder recorded the end and is letting go)
 * is waited for, so a client that saw a run finish can start the next one.
 */
describe('TrainingService.startRun and the training lock', () => {
  const created = new Error('past the lock: the run is being recorded');

  function service(locks: (HeldLock | null)[], running: { id: number } | null) {
    const runs = {
      tryLock: jest.fn(async () => (locks.length > 1 ? locks.shift()! : locks[0])),
      findRunning: jest.fn(async () => running),
      // The test stops here: the run's recording is what comes after the lock.
      create: jest.fn(async () => {
        throw created;
      }),
    };
    const config = { INSTANCE_ROLE: 'both', SEARCH_TRIALS: 0 } as unknown as AppConfig;
    const families = { list: () => [{ name: 'linear' }] };
    const registry = { assertFamily: () => undefined };
    const training = new TrainingService(
      config,
      registry as never,
      runs as never,
      families as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
    );
    return { training, runs };
  }

  afterEach(() => jest.useRealTimers());

  it('answers 409 with the running run at once when a run is recorded as running', async () => {
    const { training, runs } = service([null], { id: 7 });
    const error = await training.startRun('admin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.Conflict);
    expect((error as DomainError).message).toContain('run 7');
    expect(runs.tryLock).toHaveBeenCalledTimes(1);
  });

  it('waits for a holder that recorded its run as finished, then starts', async () => {
    const release = jest.fn(async () => undefined);
    const { training, runs } = service([null, null, { release }], null);
    await expect(training.startRun('admin')).rejects.toBe(created);
    expect(runs.tryLock).toHaveBeenCalledTimes(3);
    expect(runs.create).toHaveBeenCalledTimes(1);
    // The failed recording let the lock go.
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('gives up with a 409 when the holder keeps the lock past the wait', async () => {
    jest.useFakeTimers();
    const { training, runs } = service([null], null);
    const outcome = training.startRun('admin').catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(6_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.Conflict);
    expect(runs.create).not.toHaveBeenCalled();
    // It asked again while it waited (every 100 ms for 5 s), not once.
    expect(runs.tryLock.mock.calls.length).toBeGreaterThan(40);
  });
});
