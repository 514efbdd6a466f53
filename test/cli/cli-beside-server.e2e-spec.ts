import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { TrainingRunRepository } from '../../src/training/training-run.repository';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { BATCH, SAMPLE_DIAMOND } from '../support/training-helpers';

const ROOT = resolve(__dirname, '..', '..');

interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- <args>` as a user types it, with the given environment. */
function npmRun(script: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return new Promise((res, rej) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', rej);
    child.on('close', (status) => res({ status, stdout, stderr }));
  });
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the server never saw it');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every setting of the running server, as environment variables: the command line gets the same. */
function sameSettings(t: TestApp): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(t.config))
    if (value !== undefined) env[key] = String(value);
  return env;
}

/** A refusal: one line on stderr, no stack, no server chatter. */
function expectOneLineRefusal(run: Finished, message: RegExp): void {
  expect(run.status).not.toBe(0);
  const lines = run.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(run.stderr + run.stdout).not.toMatch(/\n\s+at |Admin endpoints disabled/);
}

describe(`npm run ingest / train beside a running server (${ENGINE})`, () => {
  let t: TestApp;
  let env: Record<string, string>;
  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    // An empty store, no model: the server answers 503 for prices and finds no similar diamond.
    t = await createTestApp({ CHAMPION_POLL_MS: '200' });
    env = sameSettings(t);
  }, 60_000);
  afterAll(() => t?.close());

  it('ingests a file: exit 0, and the server finds the new diamonds', async () => {
    const query = { cut: 'Ideal', color: 'G', clarity: 'VS1', carat: 0.7, n: 3 };
    expect((await http().get('/v1/similar-diamonds').query(query).expect(200)).body.count).toBe(0);
    const run = await npmRun('ingest', [BATCH(1)], env);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toContain('batch 1: 1000 accepted, 0 rejected');
    expect(run.stdout).not.toContain('Admin endpoints disabled');
    const found = await until(async () => {
      const body = (await http().get('/v1/similar-diamonds').query(query)).body as {
        count: number;
      };
      return body.count > 0 ? body.count : undefined;
    });
    expect(found).toBe(3);
  }, 60_000);

  it('trains: exit 0, and the server prices with the champion the command line promoted', async () => {
    await http().post('/v1/prices').send(SAMPLE_DIAMOND).expect(503);
    const run = await npmRun('train', ['--trials', '0', '--families', 'linear'], env);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Run 1: succeeded; 1000 rows/);
    expect(run.stdout).toContain('promoted');
    const model = await until(async () => {
      const res = await http().post('/v1/prices').send(SAMPLE_DIAMOND);
      return res.status === 200 ? (res.body as { model: unknown }).model : undefined;
    });
    expect(model).toEqual({ family: 'linear', version: 1 });
  }, 90_000);

  it('is refused, in one line, while the server holds the training lock', async () => {
    const held = (await t.app.get(TrainingRunRepository).tryLock())!;
    expect(held).not.toBeNull();
    try {
      const run = await npmRun('train', ['--trials', '0', '--families', 'linear'], env);
      expectOneLineRefusal(run, /^A training run is already in progress/);
      expect(run.status).toBe(1);
    } finally {
      await held.release();
    }
  }, 60_000);

  it('refuses a bad setting in one line, before opening anything', async () => {
    const run = await npmRun('ingest', [BATCH(2)], {
      ...env,
      PORT: 'abc',
      PRICE_MIN: '10',
      PRICE_MAX: '5',
    });
    expectOneLineRefusal(run, /PORT="abc".*PRICE_MIN must be below PRICE_MAX/);
  }, 60_000);
});
