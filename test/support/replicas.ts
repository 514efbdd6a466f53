import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * Real processes for the tests and benchmarks that need them: built replicas (`node dist/main.js`)
 * and nginx started with the repository's deploy/nginx.conf, templated for local ports.
 */
const ROOT = resolve(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One request on a connection of its own, closed after it (`Connection: close`): a pooled
 * keep-alive connection left idle (fetch keeps one for the server's keep-alive hint, 72 s) would
 * hold a draining replica up to SHUTDOWN_DRAIN_MS.
 */
export function call(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: init.headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** Builds dist/ when it is missing or older than a file under src/ (the replicas would run old code). */
export function ensureBuilt(): void {
  const main = join(ROOT, 'dist', 'main.js');
  const built = existsSync(main) ? statSync(main).mtimeMs : 0;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > built,
    );
  if (built > 0 && !newer(join(ROOT, 'src'))) return;
  const result = spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('nest build failed');
}

export interface Replica {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

/** Starts `node dist/main.js` with these settings on `port`. */
export function startReplica(name: string, port: number, env: NodeJS.ProcessEnv): Replica {
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { name, port, child, output: () => out };
}

/** Waits until the replica's `path` answers 200 (`/health/ready` by default). */
export async function waitReady(
  replica: Replica,
  path = '/health/ready',
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (replica.child.exitCode !== null)
      throw new Error(`${replica.name} exited (${replica.child.exitCode}): ${replica.output()}`);
    const ok = await call(replica.port, path)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${replica.name} on ${replica.port}: ${path} not 200: ${replica.output()}`);
}

/** Sends `signal` and waits for the exit; returns the exit code (null when killed by a signal). */
export async function stopReplica(
  replica: Replica,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 40_000,
): Promise<number | null> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null)
    return replica.child.exitCode;
  const exited = new Promise<number | null>((r) => replica.child.once('exit', (code) => r(code)));
  replica.child.kill(signal);
  // A timer of its own, cleared: a pending one would hold jest's process open for timeoutMs.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>(
    (r) => (timer = setTimeout(() => r('timeout'), timeoutMs)),
  );
  const result = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    replica.child.kill('SIGKILL');
    throw new Error(`${replica.name} did not stop within ${timeoutMs} ms: ${replica.output()}`);
  }
  return result;
}

/** nginx from the system's packages, or null (with the reason) when it is not installed. */
export function nginxBinary(): { path: string } | { missing: string } {
  for (const path of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'])
    if (existsSync(path)) return { path };
  return { missing: 'nginx is not installed (apt-get install nginx; .ci/run installs it)' };
}

export interface Nginx {
  port: number;
  child: ChildProcess;
  dir: string;
  output: () => string;
}

/**
 * Runs nginx with deploy/nginx.conf, templated for local ports: its two `server` lines point at
 * the replicas' ports, its `listen` at `port`; everything else as written.
 */
export async function startNginx(
  binary: string,
  dir: string,
  port: number,
  upstreamPorts: [number, number],
): Promise<Nginx> {
  const site = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8')
    .replace(/server app:3000/, `server 127.0.0.1:${upstreamPorts[0]}`)
    .replace(/server app-2:3000/, `server 127.0.0.1:${upstreamPorts[1]}`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`);
  if (!site.includes(`127.0.0.1:${upstreamPorts[1]}`) || !site.includes(`:${port};`))
    throw new Error('deploy/nginx.conf no longer has the lines the test templates');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log warn;`,
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${dir}/logs/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (t) => `  ${t}_temp_path ${dir}/${t}_temp;`,
      ),
      `  include ${dir}/site.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  let out = '';
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const nginx = { port, child, dir, output: () => out };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    const ok = await call(port, '/lb-health')
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return nginx;
    await sleep(100);
  }
  throw new Error(`nginx did not answer on ${port}: ${out}`);
}
