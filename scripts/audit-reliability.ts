/**
 * Audit trail reliability check (CI runs it after the PostgreSQL test pass).
 *
 * Builds the service, starts it (`node dist/main.js`) on a free loopback port against a fresh
 * PostgreSQL schema, drives a few thousand requests at it, and in the middle restarts PostgreSQL
 * (pg_ctlcluster ... restart) twice and kills the service with SIGKILL twice (restarting it on the
 * same spool folder). It ends with a graceful SIGTERM, then checks the audit table against the
 * client's own ledger of every attempt it made:
 *   - answered (the client got a status): recorded exactly once;
 *   - refused (ECONNREFUSED: never reached a process): not recorded;
 *   - cut (the connection died under a SIGKILL): at most once (recorded only if the service had
 *     already finished it, i.e. spooled it before sending the response);
 *   - nothing recorded that the client did not send; the spool empty after the graceful stop.
 * The schema is dropped at the end and PostgreSQL is left running. Bounded: ~1-2 minutes, hard
 * stop at 170 s.
 *
 *   npx ts-node --transpile-only scripts/audit-reliability.ts [--no-build]
 * Env: AUDIT_RELIABILITY_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 *      AUDIT_RELIABILITY_PG_CLUSTER (the pg_ctlcluster name behind that URL, default main),
 *      AUDIT_RELIABILITY_REQUESTS (default 3000), AUDIT_RELIABILITY_RATE (requests/s, default 150).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const ROOT = resolve(__dirname, '..');
const DATABASE_URL =
  process.env.AUDIT_RELIABILITY_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = Number(process.env.AUDIT_RELIABILITY_REQUESTS ?? 3000);
const RATE = Number(process.env.AUDIT_RELIABILITY_RATE ?? 150);
const CONCURRENCY = 8;
const HARD_LIMIT_MS = 170_000;
const ADMIN_TOKEN = `reliability-${randomBytes(12).toString('hex')}`;
const SCHEMA = `audit_rel_${randomBytes(4).toString('hex')}`;
const PG_VERSION = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql')[0] : '';
/** The cluster behind DATABASE_URL (another one than `main` lets a developer run this without disturbing others). */
const PG_CLUSTER = process.env.AUDIT_RELIABILITY_PG_CLUSTER ?? 'main';
const PG_PORT = new URL(DATABASE_URL).port || '5432';

type Outcome =
  { kind: 'answered'; status: number } | { kind: 'refused' } | { kind: 'cut'; code: string };
const ledger = new Map<string, Outcome>();
const t0 = Date.now();
const log = (msg: string) =>
  console.log(`[audit-reliability +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

// ---------------------------------------------------------------- the service under test
const workDir = mkdtempSync(join(tmpdir(), 'audit-reliability-'));
for (const d of ['data/incoming', 'data/processed', 'data/rejected', 'artifacts', 'var'])
  mkdirSync(join(workDir, d), { recursive: true });
const serviceLog = join(workDir, 'service.log');
let service: ChildProcess | null = null;
let port = 0;
let starts = 0;

function startService(): ChildProcess {
  starts++;
  const out = createWriteStream(serviceLog, { flags: 'a' });
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL,
      DATABASE_SCHEMA: SCHEMA,
      VAR_DIR: join(workDir, 'var'),
      DATA_DIR: join(workDir, 'data'),
      ARTIFACTS_DIR: join(workDir, 'artifacts'),
      SQLITE_PATH: join(workDir, 'var', 'unused.sqlite'),
      ADMIN_TOKEN,
      SEED_ON_START: 'false',
      TRAIN_ON_START: 'false',
      RETRAIN_ENABLED: 'false',
      THROTTLE_LIMIT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return child;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((res) => {
    const timer = setTimeout(() => res('timeout'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      res(code ?? signal);
    });
  });
}

// ---------------------------------------------------------------- PostgreSQL
function runCommand(cmd: string, args: string[]): Promise<number> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (code) => res(code ?? 1));
    p.on('error', () => res(127));
  });
}

async function restartPostgres(): Promise<void> {
  const started = Date.now();
  const code = await runCommand('pg_ctlcluster', [
    '--skip-systemctl-redirect',
    PG_VERSION,
    PG_CLUSTER,
    'restart',
  ]);
  if (code !== 0) throw new Error(`pg_ctlcluster restart exited ${code}`);
  log(`PostgreSQL restarted (${Date.now() - started} ms)`);
}

async function ensurePostgresUp(): Promise<void> {
  for (let i = 0; i < 30; i++) {
    if (spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', PG_PORT, '-q']).status === 0) return;
    if (i === 3)
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, PG_CLUSTER, 'start'], {
        stdio: 'inherit',
      });
    await sleep(1000);
  }
  throw new Error('PostgreSQL is not answering');
}

// ---------------------------------------------------------------- the client
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 });
let seq = 0;

function send(kind: number): Promise<Outcome> {
  const requestId = `rel-${++seq}`;
  let path = '/v1/prices';
  let method = 'POST';
  let body: string | null = JSON.stringify({
    carat: 0.3 + (seq % 20) / 10,
    cut: 'Ideal',
    color: 'G',
    clarity: 'VS1',
    depth: 61.5,
    table: 56,
    x: 4.3,
    y: 4.35,
    z: 2.7,
  });
  const headers: Record<string, string> = {
    'X-Request-Id': requestId,
    'User-Agent': 'audit-reliability',
  };
  if (kind === 1) [path, method, body] = [`/v1/no-such-route/${seq}`, 'GET', null];
  if (kind === 2) {
    [path, method, body] = ['/v1/admin/audit-stats', 'GET', null];
    headers.Authorization = `Bearer ${ADMIN_TOKEN}`;
  }
  if (kind === 3) {
    [path, method, body] = ['/v1/admin/audit-records?limit=1', 'GET', null];
    headers.Authorization = 'Bearer not-the-admin-token-at-all';
  }
  if (body) headers['Content-Type'] = 'application/json';
  return new Promise((res) => {
    const done = (o: Outcome) => {
      ledger.set(requestId, o);
      res(o);
    };
    const req = http.request(
      { host: '127.0.0.1', port, path, method, headers, agent, timeout: 15_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done({ kind: 'answered', status: response.statusCode ?? 0 }));
        response.on('error', (e: NodeJS.ErrnoException) =>
          done({ kind: 'cut', code: e.code ?? e.message }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (ledger.has(requestId)) return;
      done(
        e.code === 'ECONNREFUSED'
          ? { kind: 'refused' }
          : { kind: 'cut', code: e.code ?? e.message },
      );
    });
    req.end(body ?? undefined);
  });
}

/** Sends until the service answers (each attempt is its own request with its own id). */
async function sendUntilAnswered(kind: number): Promise<number> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const o = await send(kind);
    if (o.kind === 'answered') return o.status;
    await sleep(50);
  }
  throw new Error('the service did not answer for 30 s');
}

async function waitReady(): Promise<void> {
  const started = Date.now();
  await sendUntilAnswered(2);
  log(`service #${starts} answers (${Date.now() - started} ms)`);
}

// ---------------------------------------------------------------- the run
async function main(): Promise<void> {
  if (!PG_VERSION) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  await ensurePostgresUp();
  if (!process.argv.includes('--no-build')) {
    log('building (npx nest build)');
    const b = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }
  port = await freePort();
  log(
    `service on 127.0.0.1:${port}, schema ${SCHEMA}, spool ${join(workDir, 'var', 'audit-spool')}`,
  );
  service = startService();
  await waitReady();

  let answered = 0;
  let issued = 0;
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  const worker = async () => {
    for (;;) {
      const i = issued++;
      if (i >= TOTAL) return;
      const due = t1 + (i / RATE) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      const started = Date.now();
      const status = await sendUntilAnswered(i % 4);
      latencies.push(Date.now() - started);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      answered++;
    }
  };

  const events: { at: number; name: string; run: () => Promise<void> }[] = [
    { at: 0.15, name: 'restart PostgreSQL', run: restartPostgres },
    { at: 0.35, name: 'SIGKILL the service and start it again', run: killAndRestart },
    {
      at: 0.55,
      name: 'restart PostgreSQL, and SIGKILL the service while it is down (records only in the spool)',
      run: async () => {
        const restart = restartPostgres();
        await sleep(1500);
        await killAndRestart();
        await restart;
      },
    },
    { at: 0.8, name: 'SIGKILL the service and start it again', run: killAndRestart },
  ];
  const maxQueue = { depth: 0, spoolBytes: 0, failedWrites: 0 };
  async function killAndRestart(): Promise<void> {
    const old = service as ChildProcess;
    old.kill('SIGKILL');
    await waitExit(old, 10_000);
    log(`service #${starts} killed (SIGKILL)`);
    service = startService();
    await waitReady();
  }
  const chaos = async () => {
    for (const e of events) {
      // Traffic flows between events: each waits for its share of answers and 2 s after the last one.
      const after = Date.now() + 2000;
      while (answered < e.at * TOTAL || Date.now() < after) await sleep(20);
      log(`${answered} answered: ${e.name}`);
      await e.run();
    }
  };
  // Watches the writer through the stats endpoint (these requests are in the ledger too).
  let watching = true;
  const watch = async () => {
    while (watching) {
      await sleep(250);
      const requestId = `rel-${++seq}`;
      const stats = await new Promise<{
        queueDepth: number;
        spoolBytes: number;
        failedWrites: number;
      } | null>((res) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/admin/audit-stats',
            headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'X-Request-Id': requestId },
            agent,
            timeout: 5000,
          },
          (r) => {
            let text = '';
            r.on('data', (c) => (text += c));
            r.on('end', () => {
              ledger.set(requestId, { kind: 'answered', status: r.statusCode ?? 0 });
              try {
                res(JSON.parse(text));
              } catch {
                res(null);
              }
            });
            r.on('error', (e: NodeJS.ErrnoException) => {
              ledger.set(requestId, { kind: 'cut', code: e.code ?? 'error' });
              res(null);
            });
          },
        );
        req.on('timeout', () =>
          req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
        );
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (!ledger.has(requestId))
            ledger.set(
              requestId,
              e.code === 'ECONNREFUSED'
                ? { kind: 'refused' }
                : { kind: 'cut', code: e.code ?? e.message },
            );
          res(null);
        });
      });
      if (stats) {
        maxQueue.depth = Math.max(maxQueue.depth, stats.queueDepth);
        maxQueue.spoolBytes = Math.max(maxQueue.spoolBytes, stats.spoolBytes);
        maxQueue.failedWrites = Math.max(maxQueue.failedWrites, stats.failedWrites);
      }
    }
  };

  const t1 = Date.now();
  const watcher = watch();
  await Promise.all([chaos(), ...Array.from({ length: CONCURRENCY }, worker)]);
  watching = false;
  await watcher;
  const trafficSeconds = (Date.now() - t1) / 1000;
  log(`traffic done: ${answered} logical requests answered in ${trafficSeconds.toFixed(1)} s`);

  // Graceful stop: SIGTERM flushes the queue to the database.
  const last = service as ChildProcess;
  last.kill('SIGTERM');
  const exit = await waitExit(last, 30_000);
  service = null;
  log(`service #${starts} stopped by SIGTERM (exit: ${exit})`);
  const spoolDir = join(workDir, 'var', 'audit-spool');
  const spoolLeft = existsSync(spoolDir) ? readdirSync(spoolDir) : [];

  // ------------------------------------------------------------ verification
  await ensurePostgresUp();
  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  let failures: string[] = [];
  try {
    const rows: { request_id: string; n: string }[] = (
      await db.query(
        `SELECT request_id, COUNT(*) AS n FROM "${SCHEMA}".audit_record GROUP BY request_id`,
      )
    ).rows;
    const inDb = new Map(rows.map((r) => [r.request_id, Number(r.n)]));
    const total = Number(
      (await db.query(`SELECT COUNT(*) AS n FROM "${SCHEMA}".audit_record`)).rows[0].n,
    );
    let answeredAttempts = 0;
    let refused = 0;
    let cut = 0;
    let cutRecorded = 0;
    const missing: string[] = [];
    const dupes: string[] = [];
    const phantom: string[] = [];
    for (const [id, o] of ledger) {
      const n = inDb.get(id) ?? 0;
      if (n > 1) dupes.push(id);
      if (o.kind === 'answered') {
        answeredAttempts++;
        if (n !== 1) missing.push(id);
      } else if (o.kind === 'refused') {
        refused++;
        if (n !== 0) phantom.push(id);
      } else {
        cut++;
        if (n === 1) cutRecorded++;
      }
    }
    const unknown = [...inDb.keys()].filter((id) => !ledger.has(id));
    const sorted = latencies.sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    console.log('');
    console.log('== audit reliability');
    console.log(`requests sent (attempts):          ${ledger.size}`);
    console.log(
      `  answered (any status):           ${answeredAttempts}  -> recorded exactly once: ${answeredAttempts - missing.length}`,
    );
    console.log(
      `  refused (service down):          ${refused}  -> recorded: ${phantom.length} (must be 0)`,
    );
    console.log(
      `  cut by a SIGKILL:                ${cut}  -> recorded: ${cutRecorded} (at most once each)`,
    );
    console.log(
      `rows in audit_record:              ${total} (= answered ${answeredAttempts} + cut-but-recorded ${cutRecorded}: ${total === answeredAttempts + cutRecorded ? 'yes' : 'NO'})`,
    );
    console.log(`request ids recorded twice:        ${dupes.length}`);
    console.log(`rows the client never sent:        ${unknown.length}`);
    console.log(`spool files left after SIGTERM:    ${spoolLeft.length}`);
    console.log(
      `statuses of the ${TOTAL} logical requests: ${[...statuses]
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}`,
    );
    const replayed = [
      ...readFileSync(serviceLog, 'utf8').matchAll(
        /Audit spool holds (\d+) record\(s\) from an earlier run/g,
      ),
    ].map((m) => Number(m[1]));
    console.log(
      `events: 2× PostgreSQL restart, 3× SIGKILL + restart (one while PostgreSQL was down); service starts: ${starts}`,
    );
    console.log(
      `records found in the spool by each restarted service: ${replayed.join(', ') || 'none'}`,
    );
    console.log(
      `writer seen by the stats endpoint: max queue depth ${maxQueue.depth}, max spool ${maxQueue.spoolBytes} bytes, failed writes ${maxQueue.failedWrites}`,
    );
    console.log(
      `latency per logical request (incl. retries while down): p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${sorted[sorted.length - 1]} ms`,
    );
    if (missing.length)
      failures.push(
        `${missing.length} answered request(s) not recorded exactly once, e.g. ${missing.slice(0, 5).join(', ')}`,
      );
    if (dupes.length)
      failures.push(
        `${dupes.length} request id(s) recorded more than once, e.g. ${dupes.slice(0, 5).join(', ')}`,
      );
    if (phantom.length) failures.push(`${phantom.length} refused request(s) recorded`);
    if (unknown.length)
      failures.push(
        `${unknown.length} row(s) for requests the client never sent, e.g. ${unknown.slice(0, 5).join(', ')}`,
      );
    if (total !== answeredAttempts + cutRecorded)
      failures.push(`row count ${total} != ${answeredAttempts} + ${cutRecorded}`);
    if (spoolLeft.length)
      failures.push(`spool not empty after a graceful stop: ${spoolLeft.join(', ')}`);
    if (answered !== TOTAL) failures.push(`only ${answered} of ${TOTAL} logical requests answered`);
  } finally {
    await db.end();
  }
  if (failures.length) {
    console.log('\nFAILED:\n  ' + failures.join('\n  '));
    console.log(
      `service log (${serviceLog}), last lines:\n${readFileSync(serviceLog, 'utf8').split('\n').slice(-40).join('\n')}`,
    );
    failures = [];
    throw new Error('audit reliability check failed');
  }
}

async function cleanup(): Promise<void> {
  if (service && service.exitCode === null && service.signalCode === null) {
    service.kill('SIGKILL');
    await waitExit(service, 5000);
  }
  agent.destroy();
  await ensurePostgresUp().catch((e: Error) => console.error(e.message));
  const db = new Client({ connectionString: DATABASE_URL });
  try {
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  } catch (e) {
    console.error(`could not drop schema ${SCHEMA}: ${(e as Error).message}`);
  } finally {
    await db.end().catch(() => undefined);
  }
  rmSync(workDir, { recursive: true, force: true });
}

const watchdog = setTimeout(() => {
  console.error(`audit-reliability: over ${HARD_LIMIT_MS / 1000} s, giving up`);
  void cleanup().finally(() => {
    console.log('audit-reliability: 0 passed, 1 failed');
    process.exit(1);
  });
}, HARD_LIMIT_MS);

main()
  .then(async () => {
    await cleanup();
    clearTimeout(watchdog);
    log('done');
    console.log('audit-reliability: 1 passed, 0 failed');
  })
  .catch(async (err: Error) => {
    console.error(err.message);
    await cleanup();
    clearTimeout(watchdog);
    console.log('audit-reliability: 0 passed, 1 failed');
    process.exit(1);
  });
