import { Logger } from '@nestjs/common';
import { Observable, Subscription } from 'rxjs';

export interface PerBatchJobOptions<T> {
  /** The owner's logger: a failure heard from the listener is logged there, as a warning. */
  logger: Logger;
  /** What the job does, for that warning: `Could not ${failure} batch 7: …`. */
  failure: string;
  /** The job itself: its record for one batch, made now if it has none. */
  work: (batchId: number) => Promise<T>;
  /** Of these batches, the ones that already have a record (catch-up skips them). */
  recorded: (batchIds: number[]) => Promise<Iterable<number>>;
}

/**
 * A job made once per ingested batch (the price check, the drift assessment): started for each
 * batch the dataset announces, never twice at once for one batch, and caught up at the start of a
 * training run for the batches with no record yet (ingested by another process, or while the job
 * could not run). Plain class, owned by the service that has the job's logic.
 */
export class PerBatchJob<T> {
  private subscription?: Subscription;
  private readonly inFlight = new Map<number, Promise<T>>();

  constructor(private readonly options: PerBatchJobOptions<T>) {}

  /** Runs the job for every batch id `batches` emits; a failure is logged, never thrown. */
  listen(batches: Observable<number>): void {
    this.subscription?.unsubscribe();
    this.subscription = batches.subscribe((batchId) => {
      void this.run(batchId).catch((err: Error) =>
        this.options.logger.warn(
          `Could not ${this.options.failure} batch ${batchId}: ${err.message}`,
        ),
      );
    });
  }

  /** The job's result for the batch; a call while one runs for it shares that run. */
  run(batchId: number): Promise<T> {
    const running = this.inFlight.get(batchId);
    if (running) return running;
    const work = this.options.work(batchId).finally(() => this.inFlight.delete(batchId));
    this.inFlight.set(batchId, work);
    return work;
  }

  /** Runs the job, one batch after the other, for those of `batchIds` with no record yet. */
  async catchUp(batchIds: number[]): Promise<void> {
    const recorded = new Set(await this.options.recorded(batchIds));
    for (const id of batchIds) if (!recorded.has(id)) await this.run(id);
  }

  /** Stops listening and waits for the runs under way. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
