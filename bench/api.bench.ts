/**
 * HTTP benchmark of the public API: `npm run bench:api`.
 *
 * Builds the service, starts `node dist/main.js` on PostgreSQL (a throwaway schema, dropped at the
 * end) with the audit trail on, the bundled data seeded and a first model trained with a small
 * budget, waits until it prices, then drives it with autocannon over loopback:
 * POST /v1/prices and GET /v1/similar-diamonds, BENCH_CONNECTIONS (32) connections for
 * BENCH_SECONDS (15) each. Target: >= 3,000 req/s with p99 < 25 ms for both.
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_PORT (3917),
 * BENCH_SKIP_BUILD=1 to reuse dist/, BENCH_TRIALS (first-start trials, default 2).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
// autocannon ships no types; the few fields used are typed below.
const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}

const ROOT = resolve(__dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BASE = `http://127.0.0.1:${PORT}`;
const TARGET = { rps: 3000, p99: 25 };

const DIAMOND = {
  carat: 0.7,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: 61.5,
  table: 57,
  x: 5.7,
  y: 5.72,
  z: 3.52,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ADMIN_TOKEN = randomBytes(16).toString('hex');

/** The first-start training runs on worker threads: measuring while it runs would measure it. */
async function waitForTrainingToFinish(timeoutMs: number): Promise<void> {
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${BASE}/v1/admin/training-runs`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const runs = (await res.json()) as { id: number; status: string }[];
    if (res.status === 200 && runs.length > 0 && runs.every((r) => r.status !== 'running')) {
      console.log(`training finished: ${runs.map((r) => `run ${r.id} ${r.status}`).join(', ')}`);
      return;
    }
    // The training lock is a database-wide advisory lock: when another process held it at start,
    // the first-start training was skipped. Ask for a run until the lock is free.
    if (res.status === 200 && runs.length === 0 && Date.now() > startedAt + 15_000) {
      const start = await fetch(`${BASE}/v1/admin/training-runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ trials: Number(process.env.BENCH_TRIALS ?? 2) }),
      });
      if (start.status === 202)
        console.log('first-start training was skipped (lock busy): started a run');
    }
    await sleep(1000);
  }
  throw new Error('the first-start training did not finish in time');
}

async function waitForServer(child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    const up = await fetch(`${BASE}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(500);
  }
  throw new Error(`the service did not start within ${timeoutMs / 1000} s`);
}

async function waitUntilPricing(child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${BASE}/v1/prices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(DIAMOND),
      });
      const body = (await res.json()) as {
        model?: { family: string; version: number };
        message?: string;
      };
      if (res.status === 200) {
        console.log(`service ready: priced by ${body.model?.family} v${body.model?.version}`);
        return;
      }
      last = `${res.status} ${body.message ?? ''}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(1000);
  }
  throw new Error(`the service did not price within ${timeoutMs / 1000} s (last answer: ${last})`);
}

async function run(
  title: string,
  options: Record<string, unknown>,
): Promise<{ title: string; result: AutocannonResult }> {
  // A short warm-up so the JIT and the connection pools are hot before measuring.
  await autocannon({ ...options, connections: CONNECTIONS, duration: 3 });
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: SECONDS });
  return { title, result };
}

function report({ title, result }: { title: string; result: AutocannonResult }): boolean {
  const l = result.latency;
  const ok =
    result.requests.average >= TARGET.rps &&
    l.p99 < TARGET.p99 &&
    result.non2xx === 0 &&
    result.errors === 0;
  console.log(
    `${title.padEnd(22)} ${result.requests.average.toFixed(0).padStart(6)} req/s  ` +
      `p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  ` +
      `(${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors) ${ok ? 'OK' : 'TARGET MISSED'}`,
  );
  return ok;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('building (npx nest build)...');
    const build = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('the build failed');
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'diamonds-bench-'));
  for (const dir of ['data/incoming', 'data/processed', 'data/rejected', 'artifacts', 'var'])
    mkdirSync(join(work, dir), { recursive: true });
  copyFileSync(join(ROOT, 'data', 'diamonds.csv'), join(work, 'data', 'diamonds.csv'));
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(PORT),
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    DATA_DIR: join(work, 'data'),
    ARTIFACTS_DIR: join(work, 'artifacts'),
    VAR_DIR: join(work, 'var'),
    SEED_ON_START: 'true',
    TRAIN_ON_START: 'true',
    FIRST_START_TRIALS: process.env.BENCH_TRIALS ?? '2',
    RETRAIN_ENABLED: 'false',
    AUDIT_ENABLED: 'true',
    ADMIN_TOKEN,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  console.log(`starting node dist/main.js on PostgreSQL schema ${schema}, port ${PORT}, audit on`);
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let failed = false;
  try {
    await waitForServer(child, 120_000);
    await waitForTrainingToFinish(10 * 60_000);
    await waitUntilPricing(child, 60_000);
    const results = [
      await run('POST /v1/prices', {
        url: `${BASE}/v1/prices`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(DIAMOND),
      }),
      await run('GET /v1/similar-diamonds', {
        url: `${BASE}/v1/similar-diamonds?cut=Ideal&color=G&clarity=VS1&carat=0.7&n=5`,
      }),
    ];
    console.log(
      `\n${CONNECTIONS} connections, ${SECONDS} s each, loopback; target >= ${TARGET.rps} req/s and p99 < ${TARGET.p99} ms`,
    );
    for (const r of results) if (!report(r)) failed = true;
  } finally {
    await stop(child);
    await dropSchema(schema).catch((err: Error) =>
      console.error(`could not drop schema ${schema}: ${err.message}`),
    );
    rmSync(work, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
