import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PricedItem, PricedRequestEntity } from './priced-request.entity';

/** Pending requests are written at most this long after they were priced. */
const FLUSH_MS = 200;
/** Or as soon as this many are pending. */
const FLUSH_ROWS = 200;

/**
 * The priced requests, written by the prediction path off the request's way: `record` only
 * queues; a timer (or a full queue) writes the queue in one insert. Whoever reads them in this
 * process calls `flush()` first, so an outcome never misses a request this instance priced;
 * another instance's requests are in the table within FLUSH_MS. A failed write is logged and
 * dropped: pricing never fails for it.
 */
@Injectable()
export class PricedRequestLog implements OnModuleDestroy {
  private readonly logger = new Logger(PricedRequestLog.name);
  private pending: PricedRequestEntity[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(requestId: string, model: { family: string; version: number }, items: PricedItem[]): void {
    this.pending.push({ requestId, ...model, items, pricedAt: new Date() });
    if (this.pending.length >= FLUSH_ROWS) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is queued; resolves once every request recorded so far is in the table. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() => (batch.length ? this.write(batch) : undefined));
    return this.writing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async write(batch: PricedRequestEntity[]): Promise<void> {
    // A request id sent twice by a client names its latest pricing.
    const latest = [...new Map(batch.map((row) => [row.requestId, row])).values()];
    try {
      await this.dataSource
        .getRepository(PricedRequestEntity)
        .upsert(latest, { conflictPaths: ['requestId'] });
    } catch (err) {
      this.logger.error(
        `Could not record ${latest.length} priced requests: ${(err as Error).message}`,
      );
    }
  }
}
