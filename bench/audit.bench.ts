/**
 * The audit trail at volume: `npm run bench:audit` (PostgreSQL only).
 *
 * In a throwaway schema (bench_audit_<random>, dropped at the end, never `public`):
 * 1. boots the app in this process (migrations, partitions made ahead, no seed, no training,
 *    audit of its own requests off) on a random loopback port;
 * 2. fills BENCH_AUDIT_ROWS (10,000,000) synthetic records over the BENCH_AUDIT_DAYS (10) days
 *    before today, one partition a day, server-side (INSERT ... SELECT generate_series into a bare
 *    table, indexes built afterwards, then ATTACH PARTITION: the fastest load PostgreSQL offers);
 * 3. measures the batch writer (spool append + multi-row inserts, the app's batch size) on the
 *    full table: BENCH_WRITER_RECORDS (100,000) records recorded as fast as possible, until drained;
 * 4. measures the admin query endpoint's first page over HTTP, BENCH_QUERIES (200) each:
 *    newest first, by route, status, request id, model, and a one-hour time range; p50 / p99;
 * 5. drops the oldest day (retention) twice, timed;
 * 6. prints table and index sizes.
 * Targets: every query p99 < 50 ms; retention of a day < 1 s; writer >= 3x the API's peak rate.
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 10_000_000);
const DAYS = Number(process.env.BENCH_AUDIT_DAYS ?? 10);
const WRITER_RECORDS = Number(process.env.BENCH_WRITER_RECORDS ?? 100_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
// The API's fastest endpoint in the README's last quiet `npm run bench:api` run (GET
// /v1/similar-diamonds, 9,483 req/s); API_PEAK_RPS=<req/s> to compare with a run of your own.
const API_PEAK_RPS = Number(process.env.API_PEAK_RPS ?? 9483);
const DAY_MS = 24 * 60 * 60 * 1000;
const SCHEMA = `bench_audit_${randomBytes(4).toString('hex')}`;
const ADMIN_TOKEN = randomBytes(16).toString('hex');
const ROUTES = [
  '/v1/prices',
  '/v1/prices',
  '/v1/prices',
  '/v1/similar-diamonds',
  '/v1/models',
  '/v1/admin/audit-records',
];

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A pricing request's record, as the recorder builds it (about 450 bytes of JSON). */
function sample(key: string) {
  return {
    id: md5(key).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
    requestId: md5(`req-${key}`),
    occurredAt: new Date().toISOString(),
    method: 'POST',
    route: '/v1/prices',
    url: '/v1/prices',
    query: null,
    requestBody:
      '{"carat":0.7,"cut":"Ideal","color":"G","clarity":"VS1","depth":61.5,"table":57,"x":5.7,"y":5.72,"z":3.52}',
    status: 200,
    responseBody: '{"price":2871.4,"currency":"USD","model":{"family":"xgboost","version":3}}',
    durationMs: 1.7,
    clientIp: '127.0.0.1',
    userAgent: 'bench',
    modelFamily: 'xgboost',
    modelVersion: 1,
    errorMessage: null,
  };
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** One day of synthetic traffic, loaded into a bare table, indexed, then attached as a partition. */
async function loadDay(client: Client, day: number, dayStart: number, rows: number): Promise<void> {
  const name = `audit_record_p${new Date(dayStart).toISOString().slice(0, 10).replace(/-/g, '')}`;
  const from = new Date(dayStart).toISOString();
  const to = new Date(dayStart + DAY_MS).toISOString();
  const stepMs = DAY_MS / rows;
  await client.query(`CREATE TABLE ${name} (LIKE audit_record INCLUDING DEFAULTS)`);
  await client.query(
    `INSERT INTO ${name}
     SELECT md5((${day} * 100000000 + i)::text)::uuid::text,
            md5('r' || (${day} * 100000000 + i)::text),
            $1::timestamptz + (i * $2::double precision) * interval '1 millisecond',
            CASE WHEN i % 10 < 7 THEN 'POST' ELSE 'GET' END,
            (ARRAY[${ROUTES.map((r) => `'${r}'`).join(',')}])[1 + i % ${ROUTES.length}],
            '/v1/prices',
            NULL,
            '{"carat":0.7,"cut":"Ideal","color":"G","clarity":"VS1","depth":61.5,"table":57,"x":5.7,"y":5.72,"z":3.52}',
            CASE WHEN i % 1009 = 0 THEN 500 WHEN i % 97 = 0 THEN 400 ELSE 200 END,
            '{"price":2871.4,"currency":"USD","model":{"family":"xgboost","version":3}}',
            1.5 + (i % 50) / 10.0,
            '127.0.0.1',
            'autocannon',
            CASE WHEN i % 6 < 3 THEN 'xgboost' WHEN i % 6 = 3 THEN 'linear' END,
            CASE WHEN i % 6 < 4 THEN 1 + ${day} % 3 END,
            CASE WHEN i % 1009 = 0 THEN 'unexpected error' END
       FROM generate_series(0, $3::int - 1) AS i`,
    [from, stepMs, rows],
  );
  // The parent's indexes, built in one sort each instead of row by row; ATTACH adopts them.
  await client.query(`ALTER TABLE ${name} ADD PRIMARY KEY (id, occurred_at)`);
  for (const cols of [
    '(occurred_at, id)',
    '(route, occurred_at, id)',
    '(status, occurred_at, id)',
    'USING hash (request_id)',
    '(model_family, model_version, occurred_at, id)',
  ])
    await client.query(`CREATE INDEX ON ${name} ${cols}`);
  await client.query(
    `ALTER TABLE audit_record ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`,
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  // Read by the config and by the entities at import time: set before the app is loaded.
  Object.assign(process.env, {
    DATABASE_URL,
    DATABASE_SCHEMA: SCHEMA,
    VAR_DIR: join(work, 'var'),
    DATA_DIR: join(work, 'data'),
    ARTIFACTS_DIR: join(work, 'artifacts'),
    SEED_ON_START: 'false',
    TRAIN_ON_START: 'false',
    RETRAIN_ENABLED: 'false',
    AUDIT_ENABLED: 'false',
    ADMIN_TOKEN,
    LOG_LEVEL: 'warn',
  });
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('../src/app.module');
  const { configureApp, createHttpAdapter } = await import('../src/app.setup');
  const { AppConfig, loadConfig } = await import('../src/config/app-config');
  const { AuditRepository } = await import('../src/audit/audit.repository');
  const { AuditQueryService } = await import('../src/audit/audit-query.service');
  const { AuditPartitionService } = await import('../src/audit/audit-partition.service');
  const { AuditSpool } = await import('../src/audit/audit-spool');
  const { AuditWriter } = await import('../src/audit/audit-writer');

  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  let app: Awaited<ReturnType<typeof NestFactory.create>> | null = null;
  try {
    const appConfig = loadConfig();
    app = await NestFactory.create(AppModule.forRoot(appConfig), createHttpAdapter(appConfig), {
      bodyParser: false,
      logger: ['error', 'warn'],
    });
    await configureApp(app);
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const config = app.get(AppConfig);
    console.log(`schema ${SCHEMA}; app on ${base}`);

    /**
     * QUERIES first pages (after 10 unmeasured) over HTTP, then as many through the query
     * service in-process (no HTTP, no Nest pipeline): p50 and p99 of each.
     */
    const querySvc = app.get(AuditQueryService);
    const timeQueries = async (label: string, params: () => string): Promise<string> => {
      const http: number[] = [];
      const service: number[] = [];
      let items = 0;
      for (let i = 0; i < QUERIES + 10; i++) {
        const started = process.hrtime.bigint();
        const res = await fetch(`${base}/v1/admin/audit-records?${params()}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const body = (await res.json()) as { items: unknown[] };
        if (res.status !== 200)
          throw new Error(`${label}: HTTP ${res.status} ${JSON.stringify(body)}`);
        if (i >= 10) {
          http.push(Number(process.hrtime.bigint() - started) / 1e6);
          items += body.items.length;
        }
      }
      for (let i = 0; i < QUERIES + 10; i++) {
        const q = Object.fromEntries(new URLSearchParams(params()));
        const dto = {
          ...q,
          status: q.status ? Number(q.status) : undefined,
          modelVersion: q.modelVersion ? Number(q.modelVersion) : undefined,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
        };
        const started = process.hrtime.bigint();
        await querySvc.list(dto);
        if (i >= 10) service.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      http.sort((a, b) => a - b);
      service.sort((a, b) => a - b);
      const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(9);
      return `  ${label.padEnd(22)} HTTP p50 ${ms(pct(http, 50))} p99 ${ms(pct(http, 99))} | service p50 ${ms(pct(service, 50))} p99 ${ms(pct(service, 99))}  (${(items / QUERIES).toFixed(0)} items/page)`;
    };

    // 2. Fill: two days at a time (two connections).
    const today = Date.UTC(
      new Date().getUTCFullYear(),
      new Date().getUTCMonth(),
      new Date().getUTCDate(),
    );
    const perDay = Math.floor(ROWS / DAYS);
    const fillStart = Date.now();
    const loaders = await Promise.all(
      [0, 1].map(async () => {
        const c = new Client({ connectionString: DATABASE_URL });
        await c.connect();
        await c.query(`SET search_path = ${SCHEMA}`);
        return c;
      }),
    );
    const days = Array.from({ length: DAYS }, (_, d) => d);
    await Promise.all(
      loaders.map(async (c) => {
        for (let d = days.shift(); d !== undefined; d = days.shift()) {
          await loadDay(c, d, today - (DAYS - d) * DAY_MS, perDay);
          process.stdout.write(
            `  day ${d + 1}/${DAYS} loaded (${Math.round((Date.now() - fillStart) / 1000)} s)\n`,
          );
        }
      }),
    );
    for (const c of loaders) await c.end();
    await admin.query(`SET search_path = ${SCHEMA}`);
    await admin.query('ANALYZE audit_record');
    const fillSeconds = (Date.now() - fillStart) / 1000;
    const [{ n }] = (await admin.query('SELECT count(*)::int AS n FROM audit_record')).rows as {
      n: number;
    }[];
    console.log(
      `fill: ${n.toLocaleString('en')} records in ${fillSeconds.toFixed(0)} s (${Math.round(n / fillSeconds).toLocaleString('en')}/s, indexes included)`,
    );

    // 3. The batch writer, on the full table.
    const spool = new AuditSpool(join(work, 'writer-spool'), {
      segmentBytes: 8 * 1024 * 1024,
      fsyncEachRecord: false,
    });
    const writer = new AuditWriter(app.get(AuditRepository), spool, {
      batchSize: config.AUDIT_BATCH_SIZE,
      flushIntervalMs: config.AUDIT_FLUSH_INTERVAL_MS,
      maxQueueBytes: 256 * 1024 * 1024,
    });
    writer.start();
    const writeStart = Date.now();
    for (let i = 0; i < WRITER_RECORDS; i++) {
      writer.record(sample(`writer-${i}`));
      // Let the writer's timer and inserts run, as they would between requests.
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    if (!(await writer.drain(600_000))) throw new Error('writer did not drain');
    const writeSeconds = (Date.now() - writeStart) / 1000;
    writer.stop();
    const writerRate = WRITER_RECORDS / writeSeconds;
    console.log(
      `writer: ${WRITER_RECORDS.toLocaleString('en')} records (batches of ${config.AUDIT_BATCH_SIZE}) in ${writeSeconds.toFixed(1)} s = ${Math.round(writerRate).toLocaleString('en')} records/s` +
        ` = ${(writerRate / API_PEAK_RPS).toFixed(1)}x the API's peak of ${API_PEAK_RPS} req/s quoted in the README (target >= 3x)`,
    );

    // The database side alone: the same batches straight into the repository, one at a time.
    const repo = app.get(AuditRepository);
    const batch = config.AUDIT_BATCH_SIZE;
    const insertStart = Date.now();
    for (let i = 0; i < WRITER_RECORDS; i += batch) {
      const records = Array.from({ length: Math.min(batch, WRITER_RECORDS - i) }, (_, k) => ({
        ...sample(`insert-${i + k}`),
      }));
      await repo.insertIgnore(records);
    }
    const insertRate = WRITER_RECORDS / ((Date.now() - insertStart) / 1000);
    console.log(
      `inserts alone (no spool, no record building): ${Math.round(insertRate).toLocaleString('en')} records/s = ${(insertRate / API_PEAK_RPS).toFixed(1)}x the API's quoted peak`,
    );

    // The writer's records fill today's partition after the ANALYZE above. Until autovacuum
    // analyzes it again (after 10 % of it changed), the planner may misjudge it: shown once here.
    const routeBefore = await timeQueries('route, before ANALYZE', () => `route=%2Fv1%2Fmodels`);
    console.log(routeBefore);
    await admin.query('ANALYZE audit_record');

    // 4. The admin query endpoint, first page (50 records, newest first).
    const rnd = (() => {
      let s = 42;
      return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    })();
    const someRequestId = () => {
      const day = Math.floor(rnd() * DAYS);
      return md5(`r${day * 100000000 + Math.floor(rnd() * perDay)}`);
    };
    const hourWindow = () => {
      const from = today - DAYS * DAY_MS + Math.floor(rnd() * (DAYS * 24 - 1)) * 3600_000;
      return `from=${new Date(from).toISOString()}&to=${new Date(from + 3600_000).toISOString()}`;
    };
    const queries: [string, () => string][] = [
      ['newest first', () => ''],
      ['route', () => `route=${encodeURIComponent(ROUTES[3 + Math.floor(rnd() * 3)])}`],
      ['status', () => `status=${rnd() < 0.5 ? 500 : 400}`],
      ['request id', () => `requestId=${someRequestId()}`],
      [
        'model',
        () =>
          `modelFamily=${rnd() < 0.5 ? 'xgboost' : 'linear'}&modelVersion=${1 + Math.floor(rnd() * 3)}`,
      ],
      ['time range (1 h)', hourWindow],
      ['route + time range', () => `route=%2Fv1%2Fmodels&${hourWindow()}`],
    ];
    for (const [label, params] of queries) console.log(await timeQueries(label, params));

    // 6. Sizes (before retention takes two days away).
    const sizes = (
      await admin.query(
        `SELECT p.relname AS name, sum(pg_relation_size(i.inhrelid))::bigint AS bytes
           FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
          WHERE p.relname LIKE 'ix_audit_record%' OR p.relname = 'pk_audit_record'
          GROUP BY 1 ORDER BY 1`,
      )
    ).rows as { name: string; bytes: string }[];
    const [{ heap }] = (
      await admin.query(
        `SELECT sum(pg_table_size(i.inhrelid))::bigint AS heap FROM pg_inherits i
          WHERE i.inhparent = 'audit_record'::regclass`,
      )
    ).rows as { heap: string }[];
    const indexTotal = sizes.reduce((s, r) => s + Number(r.bytes), 0);
    console.log(
      `sizes: table ${mb(Number(heap))} (${(Number(heap) / n).toFixed(0)} bytes/record with TOAST), indexes ${mb(indexTotal)}: ` +
        sizes.map((r) => `${r.name} ${mb(Number(r.bytes))}`).join(', '),
    );

    // 5. Retention: the two oldest days, one at a time.
    const partitions = app.get(AuditPartitionService);
    for (const d of [0, 1]) {
      const cutoff = new Date(today - (DAYS - d - 1) * DAY_MS);
      const started = Date.now();
      const { dropped } = await partitions.dropOlderThan(cutoff);
      console.log(
        `retention: dropped ${dropped.join(', ')} (${perDay.toLocaleString('en')} records) in ${Date.now() - started} ms`,
      );
    }
  } finally {
    if (app) await app.close();
    if (process.env.BENCH_AUDIT_KEEP_SCHEMA)
      console.log(`schema ${SCHEMA} kept (BENCH_AUDIT_KEEP_SCHEMA)`);
    else await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
    if (!process.env.BENCH_AUDIT_KEEP_SCHEMA) console.log(`schema ${SCHEMA} dropped`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
