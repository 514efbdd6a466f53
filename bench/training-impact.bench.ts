/**
 * Does training hurt serving? `npm run bench:training-impact` (issue 24).
 *
 * Builds the service, then in one run, on one PostgreSQL schema (dropped at the end) and one work
 * folder: for each mode in BENCH_MODES (a comma list; default `child-nice,child-idle`):
 *   - `inline`: TRAINING_PROCESS=inline, the run in the server's process (before issue 24);
 *   - `child-nice`: TRAINING_PROCESS=child, TRAINING_SCHEDULING=nice (the child at TRAINING_NICE);
 *   - `child-idle`: TRAINING_PROCESS=child, TRAINING_SCHEDULING=idle (the child at SCHED_IDLE);
 *   - `child`: TRAINING_PROCESS=child with the default scheduling;
 * starts `node dist/main.js` (audit on, the bundled data seeded and a first model
 * trained with BENCH_TRIALS on the first start), then prices `POST /v1/prices` with autocannon at
 * BENCH_CONNECTIONS (32) for BENCH_SECONDS (15) each:
 *   1. idle;
 *   2. during an admin run of BENCH_TRAINING_TRIALS (100) trials, started BENCH_LEAD_MS (3000)
 *      before the load (the run must still be going when the load ends: the bench says so).
 * The training child, when there is one, and then the server are killed (SIGKILL: the run is not
 * waited for; the next start settles it) and the next mode starts on the same database. Each connection cycles through the 1,000 diamonds of
 * data/batches/batch-001.csv. Targets: during training, p99 <= 25 ms and >= 0.8 x the idle rate.
 * BENCH_ROUNDS (1) repeats the modes, alternating, to see the machine's noise. Beside the rates:
 * the CPU seconds of the server and of the training child, and the serving threads' run-queue
 * wait (time runnable but not running: /proc/<pid>/task/<tid>/schedstat, second field), of the
 * event loop (the server's main thread) and of all its threads, over the warm-up and the load.
 * Other work on the machine moves every figure: compare the ratios within a mode.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../test/support/replicas';
import { cycling } from './autocannon-load';
// autocannon ships no types; the few fields used are typed below.
const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => Promise<AutocannonResult>;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
}

const ROOT = resolve(__dirname, '..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const TRAINING_TRIALS = Number(process.env.BENCH_TRAINING_TRIALS ?? 100);
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const MODES = (process.env.BENCH_MODES ?? 'child-nice,child-idle').split(',');
/** The settings of each mode. */
const MODE_ENV: Record<string, Record<string, string>> = {
  inline: { TRAINING_PROCESS: 'inline' },
  child: { TRAINING_PROCESS: 'child' },
  'child-nice': { TRAINING_PROCESS: 'child', TRAINING_SCHEDULING: 'nice' },
  'child-idle': { TRAINING_PROCESS: 'child', TRAINING_SCHEDULING: 'idle' },
};
for (const mode of MODES)
  if (!MODE_ENV[mode])
    throw new Error(`BENCH_MODES: unknown mode ${mode} (${Object.keys(MODE_ENV).join(', ')})`);
const TARGET = { p99: 25, ratio: 0.8 };
const ADMIN_TOKEN = randomBytes(16).toString('hex');
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The 1,000 diamonds of batch-001 as price requests, cycled through by every connection. */
function priceRequests(): Record<string, unknown>[] {
  const [header, ...rows] = readFileSync(join(ROOT, 'data', 'batches', 'batch-001.csv'), 'utf8')
    .trim()
    .split('\n');
  const names = header.split(',');
  return rows.slice(0, 1000).map((row) => {
    const cells = row.split(',');
    const item: Record<string, unknown> = {};
    names.forEach((name, i) => {
      if (name === 'price') return;
      item[name] = ['cut', 'color', 'clarity'].includes(name) ? cells[i] : Number(cells[i]);
    });
    return {
      method: 'POST',
      path: '/v1/prices',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(item),
    };
  });
}

async function runs(base: string): Promise<{ id: number; status: string }[]> {
  const res = await fetch(`${base}/v1/admin/training-runs`, { headers: ADMIN });
  return res.status === 200 ? ((await res.json()) as { id: number; status: string }[]) : [];
}

/** Up, seeded, a model trained (first start) and no run going: ready to measure. */
async function waitUntilIdleAndPricing(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}`);
    try {
      const price = await fetch(`${base}/v1/prices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ carat: 0.7, cut: 'Ideal', color: 'G', clarity: 'VS1', x: 5.7 }),
      });
      const all = await runs(base);
      if (price.status === 200 && all.length > 0 && all.every((r) => r.status !== 'running'))
        return;
    } catch {
      // not listening yet
    }
    await sleep(1000);
  }
  throw new Error('the service did not become idle and pricing in 15 minutes');
}

/** CPU seconds (user + system) a process has used, all its threads; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks
  } catch {
    return 0;
  }
}

/** A process that has ended and waits for its parent to reap it. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The pids of a process's children (the training child, when there is one). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * Nanoseconds each thread of a process has waited on a run queue (runnable, not running):
 * /proc/<pid>/task/<tid>/schedstat, second field. Empty when the kernel keeps no schedstat.
 */
function runQueueWait(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        out.set(Number(tid), Number(fields[1]));
      } catch {
        // a thread that ended meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return out;
}

/** The scheduling policy of a process's main thread (/proc/<pid>/sched): 0 normal, 5 SCHED_IDLE. */
function policyOf(pid: number): string {
  try {
    const policy = /^policy\s+:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'));
    const names: Record<string, string> = {
      '0': 'SCHED_OTHER',
      '3': 'SCHED_BATCH',
      '5': 'SCHED_IDLE',
    };
    return policy ? (names[policy[1]] ?? `policy ${policy[1]}`) : 'unknown';
  } catch {
    return 'gone';
  }
}

/** The nice value of a process's main thread (/proc/<pid>/stat, field 19). */
function niceOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16];
  } catch {
    return '?';
  }
}

interface Usage<T> {
  result: T;
  server: number;
  children: number;
  /** Run-queue wait of the server's main thread (its event loop) and of all its threads, ms. */
  waitMain: number;
  waitAll: number;
  /** How the training children seen were scheduled (`SCHED_IDLE`, `SCHED_OTHER nice 10`). */
  childScheduling: string[];
}

/** Runs `work` and returns its result with the CPU seconds the server and its children used meanwhile. */
async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<Usage<T>> {
  const seen = new Map<number, number>();
  const sample = () => {
    for (const c of childrenOf(pid)) if (!seen.has(c)) seen.set(c, cpuSeconds(c));
  };
  sample();
  const timer = setInterval(sample, 200);
  const server0 = cpuSeconds(pid);
  const wait0 = runQueueWait(pid);
  const at0 = new Map(seen);
  try {
    const result = await work();
    sample();
    const children = [...seen].reduce(
      (sum, [c, first]) => sum + Math.max(0, cpuSeconds(c) - (at0.get(c) ?? first)),
      0,
    );
    const wait1 = runQueueWait(pid);
    // A thread started during the load counts from 0; one that ended is not counted.
    const waited = (tid: number) => Math.max(0, (wait1.get(tid) ?? 0) - (wait0.get(tid) ?? 0));
    const waitAll = [...wait1.keys()].reduce((sum, tid) => sum + waited(tid), 0) / 1e6;
    const childScheduling = childrenOf(pid).map((c) => {
      const policy = policyOf(c);
      return policy === 'SCHED_OTHER' ? `${policy} nice ${niceOf(c)}` : policy;
    });
    return {
      result,
      server: cpuSeconds(pid) - server0,
      children,
      waitMain: waited(pid) / 1e6,
      waitAll,
      childScheduling,
    };
  } finally {
    clearInterval(timer);
  }
}

function line(title: string, r: AutocannonResult, idle?: AutocannonResult): string {
  const ratio = idle ? `  ${(r.requests.average / idle.requests.average).toFixed(2)} x idle` : '';
  return (
    `${title.padEnd(30)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  ` +
    `p99 ${r.latency.p99} ms  max ${r.latency.max} ms  (${r.requests.total} requests, ${r.non2xx} non-2xx, ${r.errors} errors)${ratio}`
  );
}

async function measure(base: string, load: Record<string, unknown>): Promise<AutocannonResult> {
  await autocannon({ url: base, ...load, connections: CONNECTIONS, duration: 3 });
  return autocannon({ url: base, ...load, connections: CONNECTIONS, duration: SECONDS });
}

async function oneMode(
  mode: string,
  env: NodeJS.ProcessEnv,
  load: Record<string, unknown>,
): Promise<string[]> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), ...MODE_ENV[mode] },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitUntilIdleAndPricing(base, child);
    const before = `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`;
    const idleCpu = await withCpu(child.pid!, () => measure(base, load));
    const idle = idleCpu.result;
    const start = await fetch(`${base}/v1/admin/training-runs`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ trials: TRAINING_TRIALS }),
    });
    if (start.status !== 202) throw new Error(`the admin run answered ${start.status}`);
    const { runId } = (await start.json()) as { runId: number };
    await sleep(LEAD_MS);
    const duringCpu = await withCpu(child.pid!, () => measure(base, load));
    const during = duringCpu.result;
    const run = (await runs(base)).find((r) => r.id === runId);
    const stillRunning = run?.status === 'running';
    const met =
      during.latency.p99 <= TARGET.p99 &&
      during.requests.average >= TARGET.ratio * idle.requests.average;
    const inChild = mode !== 'inline';
    const wait = (u: Usage<unknown>) =>
      `event loop ${u.waitMain.toFixed(0)} ms, all threads ${u.waitAll.toFixed(0)} ms`;
    return [
      `${mode}: ${Object.entries(MODE_ENV[mode])
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} (${before} at the start):`,
      `  ${line('idle', idle)}`,
      `  ${line(`during a ${TRAINING_TRIALS}-trial admin run`, during, idle)}`,
      `  CPU seconds (warm-up + load): idle server ${idleCpu.server.toFixed(1)}; during the run server ${duringCpu.server.toFixed(1)}` +
        `${inChild ? ` + training process ${duringCpu.children.toFixed(1)} (${duringCpu.childScheduling.join(', ') || 'no child seen at the end'})` : ' (the training in it)'}`,
      `  server threads' run-queue wait (warm-up + load): idle ${wait(idleCpu)}; during the run ${wait(duringCpu)}`,
      `  run ${runId} ${stillRunning ? 'still running at the end of the load' : `already ${run?.status}: the load outlasted it, figures flatter`}; ` +
        `targets (p99 <= ${TARGET.p99} ms, >= ${TARGET.ratio} x idle): ${met ? 'met' : 'not met'}`,
    ];
  } finally {
    // The training child first (it would stop by itself once the server is gone, but not at once
    // on a loaded machine, and not while the next mode measures), then the server.
    const trainers = childrenOf(child.pid!);
    for (const pid of trainers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    for (const pid of trainers) {
      const deadline = Date.now() + 10_000;
      while (existsSync(`/proc/${pid}`) && !isZombie(pid) && Date.now() < deadline) await sleep(50);
    }
  }
}

async function main(): Promise<void> {
  if (!process.env.BENCH_SKIP_BUILD) {
    console.log('building (npx nest build)...');
    if (spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0)
      throw new Error('the build failed');
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(join(tmpdir(), 'diamonds-bench-'));
  for (const dir of ['data/incoming', 'data/processed', 'data/rejected', 'artifacts', 'var'])
    mkdirSync(join(work, dir), { recursive: true });
  copyFileSync(join(ROOT, 'data', 'diamonds.csv'), join(work, 'data', 'diamonds.csv'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
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
  const load = cycling(priceRequests());
  const report: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        console.log(`round ${round + 1}: ${mode}...`);
        const lines = await oneMode(mode, env, load);
        console.log(lines.join('\n'));
        report.push(...lines);
      }
    }
  } finally {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `\n${CONNECTIONS} connections, ${SECONDS} s per load, POST /v1/prices on PostgreSQL:`,
  );
  console.log(report.join('\n'));
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
