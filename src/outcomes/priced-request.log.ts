import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PricedItem, PricedRequestEntity } from './priced-request.entity';

/** Pending requests are written at most this long after they were priced. */
const FLUSH_MS = 200;
/** Or as soon as this many are pending. */
const FLUSH_ROWS = 200;

const COLUMNS = 'request_id, family, version, items, priced_at';
/** A row already there (a request id priced again, in an earlier flush) takes the new pricing. */
const ON_CONFLICT =
  'ON CONFLICT (request_id) DO UPDATE SET family = excluded.family, version = excluded.version, ' +
  'items = excluded.items, priced_at = excluded.priced_at';

/**
 * PostgreSQL: the batch as one JSON array parameter, taken apart by json_to_recordset (the audit
 * writer's pattern, `insertFromJsonInto`): one short statement, one parameter.
 */
const UPSERT_PG =
  `INSERT INTO priced_request (${COLUMNS}) ` +
  'SELECT "requestId", "family", "version", "items", "pricedAt" FROM json_to_recordset($1::json) ' +
  'AS r("requestId" varchar, "family" varchar, "version" integer, "items" jsonb, "pricedAt" timestamptz) ' +
  ON_CONFLICT;

/**
 * SQLite: a multi-row VALUES list, five parameters a row (at most FLUSH_ROWS rows: 1,000
 * parameters, far below SQLite's 32,766). Cheaper here than json_each, whose json_extract calls
 * run in this process too (better-sqlite3 is in-process): measured by `npm run bench:priced-requests`.
 */
const upsertSqlite = (rows: number): string =>
  `INSERT INTO priced_request (${COLUMNS}) VALUES ${Array<string>(rows).fill('(?, ?, ?, ?, ?)').join(', ')} ${ON_CONFLICT}`;

/** The text TypeORM stores for a SQLite datetime column (UTC, 'YYYY-MM-DD HH:MM:SS.SSS'). */
const sqliteDate = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

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
      // Built by hand: TypeORM's upsert spent about three times this CPU per batch on PostgreSQL
      // (twice on SQLite), on the event loop that answers the prices (`npm run
      // bench:priced-requests`, docs/benchmarks.md).
      if (this.dataSource.options.type === 'postgres') {
        await this.dataSource.query(UPSERT_PG, [JSON.stringify(latest)]);
      } else {
        const params = latest.flatMap((row) => [
          row.requestId,
          row.family,
          row.version,
          JSON.stringify(row.items),
          sqliteDate(row.pricedAt),
        ]);
        await this.dataSource.query(upsertSqlite(latest.length), params);
      }
    } catch (err) {
      this.logger.error(
        `Could not record ${latest.length} priced requests: ${(err as Error).message}`,
      );
    }
  }
}
