/**
 * What one write of the priced-request log costs the API's process: `npm run bench:priced-requests`
 * (issue 24).
 *
 * The prediction path queues each priced request; `PricedRequestLog` writes the queue, up to 200
 * rows, in one statement on the event loop that answers the prices. This compares, in one run, on
 * one throwaway database (all migrations run; PostgreSQL schema bench_priced_<random> dropped at
 * the end, or a SQLite file in a temp folder):
 *   - `typeorm-upsert`: TypeORM's `repository.upsert(rows, { conflictPaths: ['requestId'] })` (the
 *     writer before issue 24);
 *   - `hand-built`: the writer today (`PricedRequestLog.record` x 200, then `flush()`): one
 *     statement (PostgreSQL: the batch as one JSON parameter, json_to_recordset; SQLite: a
 *     multi-row VALUES list).
 * Each write is BENCH_ROWS (200) new single-diamond pricings (random request ids, as clients send),
 * every BENCH_CONFLICT_EVERY-th (10) one a request id already written (the client's retry). The
 * modes alternate, BENCH_ROUNDS (60) writes each after BENCH_WARMUP (15) writes each not counted.
 * The figure is this process's CPU time (process.cpuUsage, user + system) per write, from the
 * call to the write's end: what the API's event loop spends (on SQLite that includes the
 * database's own work, in-process; PostgreSQL's is in its own processes and is not counted).
 *
 * Env: DATABASE_URL (PostgreSQL); unset, SQLite.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { databaseOptions } from '../src/database/database-options';
import { PricedItem, PricedRequestEntity } from '../src/outcomes/priced-request.entity';
import { PricedRequestLog } from '../src/outcomes/priced-request.log';

const DATABASE_URL = process.env.DATABASE_URL;
const ROWS = Number(process.env.BENCH_ROWS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);
const CONFLICT_EVERY = Number(process.env.BENCH_CONFLICT_EVERY ?? 10);
const MODEL = { family: 'xgboost-blend', version: 3 };

/** One diamond priced, as the prediction path records it. */
function pricedItem(i: number): PricedItem {
  return {
    features: {
      carat: 0.3 + (i % 200) / 100,
      cut: 'Ideal',
      color: 'G',
      clarity: 'VS1',
      depth: 61.5,
      table: 57,
      x: 5.7,
      y: 5.72,
      z: 3.52,
    } as PricedItem['features'],
    price: 2874.15 + i,
    range: { low: 2461.08 + i, high: 3356.71 + i, level: 0.9 },
  };
}

/** A write's request ids: new ones, and every CONFLICT_EVERY-th one already written. */
function requestIds(written: string[]): string[] {
  return Array.from({ length: ROWS }, (_, i) =>
    i % CONFLICT_EVERY === 0 && written.length > 0
      ? written[Math.floor(Math.random() * written.length)]
      : randomUUID(),
  );
}

/** The writer before issue 24: dedupe (the latest pricing of an id), then TypeORM's upsert. */
async function typeormUpsert(dataSource: DataSource, ids: string[]): Promise<void> {
  const batch: PricedRequestEntity[] = ids.map((requestId, i) => ({
    requestId,
    ...MODEL,
    items: [pricedItem(i)],
    pricedAt: new Date(),
  }));
  const latest = [...new Map(batch.map((row) => [row.requestId, row])).values()];
  await dataSource
    .getRepository(PricedRequestEntity)
    .upsert(latest, { conflictPaths: ['requestId'] });
}

/** The writer today: record each (as the prediction path does), then flush. */
async function handBuilt(log: PricedRequestLog, ids: string[]): Promise<void> {
  ids.forEach((requestId, i) => log.record(requestId, MODEL, [pricedItem(i)]));
  await log.flush();
}

/** CPU milliseconds (user + system) of this process spent while `work` ran. */
async function cpuMs(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const schema = `bench_priced_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'priced-bench-'));
  const config = loadConfig(
    DATABASE_URL
      ? { DATABASE_URL, DATABASE_SCHEMA: schema }
      : { SQLITE_PATH: join(work, 'bench.sqlite') },
  );
  if (DATABASE_URL) {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`).finally(() => client.end());
  }
  const dataSource = new DataSource({
    ...databaseOptions(config),
    entities: [PricedRequestEntity],
  });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const log = new PricedRequestLog(dataSource);
    const written: string[] = [];
    const every = new Set<string>();
    const figures: Record<string, number[]> = { 'typeorm-upsert': [], 'hand-built': [] };
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const modes =
        round % 2 === 0 ? ['typeorm-upsert', 'hand-built'] : ['hand-built', 'typeorm-upsert'];
      for (const mode of modes) {
        const ids = requestIds(written);
        const ms = await cpuMs(() =>
          mode === 'typeorm-upsert' ? typeormUpsert(dataSource, ids) : handBuilt(log, ids),
        );
        written.push(...ids.filter((_, i) => i % 50 === 1));
        ids.forEach((id) => every.add(id));
        if (round >= WARMUP) figures[mode].push(ms);
      }
    }
    const rows = await dataSource.getRepository(PricedRequestEntity).count();
    // A failed write is only logged by the writer: the rows say whether every write landed.
    if (rows !== every.size) throw new Error(`${rows} rows written, ${every.size} expected`);
    const engine = DATABASE_URL ? 'PostgreSQL' : 'SQLite';
    console.log(
      `${engine}, ${ROWS} rows a write (1 in ${CONFLICT_EVERY} an id already written), ` +
        `${ROUNDS} writes per mode after ${WARMUP} not counted, alternating; ${rows} rows at the end:`,
    );
    const base = median(figures['typeorm-upsert']);
    for (const [mode, ms] of Object.entries(figures)) {
      console.log(
        `  ${mode.padEnd(15)} CPU ms per write: median ${median(ms).toFixed(2)}, mean ${mean(ms).toFixed(2)}` +
          `  (${(median(ms) / base).toFixed(2)} x typeorm-upsert's median)`,
      );
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    if (DATABASE_URL) {
      const client = new Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
