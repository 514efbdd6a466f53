import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, request as httpRequest, Server } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_TOKEN, BATCH, SAMPLE_DIAMOND } from '../support/training-helpers';
import { ENGINE } from '../support/test-app';

/**
 * Two built instances (node dist/main.js) on one PostgreSQL schema and one ARTIFACTS_DIR, each
 * with its own VAR_DIR, behind a small round-robin proxy, driven over HTTP only (black box).
 */
const ROOT = resolve(__dirname, '..', '..');
const describePg = ENGINE === 'postgres' ? describe : describe.skip;
if (ENGINE !== 'postgres')
  console.log('Two-instance test skipped: instances share a database only on PostgreSQL');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

interface Instance {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** Forwards each request to the next backend in turn, as nginx's default upstream does. */
function roundRobinProxy(
  ports: number[],
): Promise<{ server: Server; port: number; hits: number[] }> {
  const hits = ports.map(() => 0);
  let next = 0;
  const server = createServer((req, res) => {
    const i = next++ % ports.length;
    hits[i]++;
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: ports[i],
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({ server, port: (server.address() as AddressInfo).port, hits }),
    ),
  );
}

describePg('Two instances behind a round-robin proxy (postgres)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'two-instances-'));
  const schema = `t_${randomBytes(5).toString('hex')}`;
  const instances: Instance[] = [];
  let proxy: { server: Server; port: number; hits: number[] };

  const env = (name: string, port: number): NodeJS.ProcessEnv => ({
    ...process.env,
    PORT: String(port),
    DATABASE_SCHEMA: schema,
    DATA_DIR: join(workDir, 'data'),
    ARTIFACTS_DIR: join(workDir, 'artifacts'),
    VAR_DIR: join(workDir, `var-${name}`),
    ADMIN_TOKEN,
    SEED_ON_START: 'false',
    TRAIN_ON_START: 'false',
    RETRAIN_ENABLED: 'false',
    SEARCH_TRIALS: '2',
    SEARCH_CONCURRENCY: '1',
    CHAMPION_POLL_MS: '200',
    AUDIT_FLUSH_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  });

  function start(name: string, port: number, varOf = name): Instance {
    let out = '';
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
      cwd: ROOT,
      env: { ...env(name, port), VAR_DIR: join(workDir, `var-${varOf}`) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const instance = { child, port, output: () => out };
    instances.push(instance);
    return instance;
  }

  async function waitLive(instance: Instance, timeoutMs = 40_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (instance.child.exitCode !== null)
        throw new Error(`instance exited (${instance.child.exitCode}): ${instance.output()}`);
      const ok = await fetch(`http://127.0.0.1:${instance.port}/health/live`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      await sleep(200);
    }
    throw new Error(`instance on ${instance.port} not live: ${instance.output()}`);
  }

  const via = (port: number, path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) },
    });
  const viaProxy = (path: string, init: RequestInit = {}) => via(proxy.port, path, init);
  const price = (port: number) =>
    via(port, '/v1/prices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SAMPLE_DIAMOND),
    });

  async function waitRun(port: number, runId: number): Promise<string> {
    for (let i = 0; i < 300; i++) {
      const run = (await (await via(port, `/v1/admin/training-runs/${runId}`)).json()) as {
        status: string;
      };
      if (run.status !== 'running') return run.status;
      await sleep(200);
    }
    throw new Error(`run ${runId} did not finish`);
  }

  beforeAll(async () => {
    for (const d of ['data/incoming', 'data/processed', 'data/rejected', 'artifacts'])
      mkdirSync(join(workDir, d), { recursive: true });
    if (distIsStale()) {
      const built = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (built.status !== 0) throw new Error('nest build failed');
    }
    const [a, b] = [start('a', await freePort()), start('b', await freePort())];
    await Promise.all([waitLive(a), waitLive(b)]);
    proxy = await roundRobinProxy([a.port, b.port]);
  }, 60_000);

  afterAll(async () => {
    proxy?.server.close();
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGTERM');
    await Promise.all(
      instances.map((i) =>
        i.child.exitCode === null ? new Promise((r) => i.child.once('exit', r)) : undefined,
      ),
    );
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses a third process on a VAR_DIR a live instance holds, naming the folder and the holder', async () => {
    const third = start('c', await freePort(), 'a');
    const code = await new Promise<number | null>((r) => third.child.once('exit', r));
    expect(code).not.toBe(0);
    expect(third.output()).toContain(
      `VAR_DIR ${join(workDir, 'var-a')} is in use by process ${instances[0].child.pid}`,
    );
  });

  it('trains one run at a time and both instances serve the promoted champion', async () => {
    const upload = await viaProxy('/v1/admin/datasets?filename=batch-001.csv', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: readFileSync(BATCH(1)),
    });
    expect(upload.status).toBeLessThan(300);

    // Both instances asked at once: the database-wide lock lets one run start.
    const body = JSON.stringify({ families: ['linear'] });
    const asks = await Promise.all(
      instances.slice(0, 2).map((i) =>
        via(i.port, '/v1/admin/training-runs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      ),
    );
    expect(asks.map((r) => r.status).sort()).toEqual([202, 409]);
    const started = asks.find((r) => r.status === 202)!;
    const { runId } = (await started.json()) as { runId: number };
    const owner = instances[asks.indexOf(started)];
    expect(await waitRun(owner.port, runId)).toBe('succeeded');

    // A second version, trained by the other instance; then the one that is not champion is promoted.
    const other = instances[1 - asks.indexOf(started)];
    const second = await via(other.port, '/v1/admin/training-runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(second.status).toBe(202);
    expect(await waitRun(other.port, ((await second.json()) as { runId: number }).runId)).toBe(
      'succeeded',
    );
    const served = ((await (await price(owner.port)).json()) as { model: { version: number } })
      .model;
    const target = served.version === 1 ? 2 : 1;
    const promoted = await via(owner.port, '/v1/admin/models/linear/promote', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: target, reason: 'two-instance test' }),
    });
    expect(promoted.status).toBe(200);

    const deadline = Date.now() + 10_000;
    let versions: number[] = [];
    do {
      versions = await Promise.all(
        instances
          .slice(0, 2)
          .map(
            async (i) =>
              ((await (await price(i.port)).json()) as { model: { version: number } }).model
                .version,
          ),
      );
      if (versions.every((v) => v === target)) break;
      await sleep(200);
    } while (Date.now() < deadline);
    expect(versions).toEqual([target, target]);
  });

  it('audits each request once, whichever instance answered it', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `two-instances-${i}`);
    const before = [...proxy.hits];
    for (const id of ids) {
      const res = await viaProxy('/v1/models', { headers: { 'x-request-id': id } });
      expect(res.status).toBe(200);
    }
    expect(proxy.hits.map((h, i) => h - before[i])).toEqual([15, 15]);
    const deadline = Date.now() + 10_000;
    let counts: number[] = [];
    do {
      counts = await Promise.all(
        ids.map(async (id) => {
          const page = (await (
            await viaProxy(`/v1/admin/audit-records?requestId=${id}`)
          ).json()) as { items: unknown[] };
          return page.items.length;
        }),
      );
      if (counts.every((c) => c === 1)) break;
      await sleep(200);
    } while (Date.now() < deadline);
    expect(counts).toEqual(ids.map(() => 1));
  });
});

/** dist/ is missing or older than a file under src/: the instances would run old code. */
function distIsStale(): boolean {
  const main = join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) return true;
  const built = statSync(main).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > built,
    );
  return newer(join(ROOT, 'src'));
}
