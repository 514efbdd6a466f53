import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { HeldLock } from '../../src/database/advisory-lock';
import { databaseOptions } from '../../src/database/database-options';
import { ensureSchema } from '../../src/database/database.module';
import { TrainingRunRepository } from '../../src/training/training-run.repository';
import { dropSchema, ENGINE, testEnv } from '../support/test-app';

const ROOT = resolve(__dirname, '..', '..');

/** A second process holding or asking for the training lock (test/support/hold-training-lock.ts). */
class OtherProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'test/support/hold-training-lock.ts'],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    let buffer = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (this.waiting) this.waiting(line);
        else this.lines.push(line);
      }
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** The next line it says. */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no answer; stderr: ${this.stderr}`)), 30_000);
      this.waiting = (l) => {
        clearTimeout(timer);
        this.waiting = null;
        res(l);
      };
    });
  }

  async ask(command: 'try' | 'release'): Promise<string> {
    this.child.stdin.write(`${command}\n`);
    return this.next();
  }

  exit(): Promise<void> {
    return new Promise((res) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return res();
      this.child.once('exit', () => res());
      this.child.stdin.write('exit\n');
    });
  }

  /** Dies without releasing anything (a crash). */
  kill(): Promise<void> {
    return new Promise((res) => {
      this.child.once('exit', () => res());
      this.child.kill('SIGKILL');
    });
  }
}

describe(`The training lock across processes (${ENGINE})`, () => {
  let workDir: string;
  let env: Record<string, string>;
  let config: AppConfig;
  let dataSource: DataSource;
  let runs: TrainingRunRepository;
  let mine: HeldLock | null = null;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'diamonds-lock-'));
    env = testEnv(workDir);
    config = loadConfig({ ...process.env, ...env });
    await ensureSchema(config);
    dataSource = await new DataSource(databaseOptions(config)).initialize();
    runs = new TrainingRunRepository(dataSource);
  });
  afterEach(async () => {
    await mine?.release();
    mine = null;
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await dropSchema(config);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses another process while this one holds it, and lets it in once released', async () => {
    mine = await runs.tryLock();
    expect(mine).not.toBeNull();
    const other = new OtherProcess(env);
    try {
      expect(await other.next()).toBe('refused');
      await mine!.release();
      mine = null;
      expect(await other.ask('try')).toBe('held');
      // Now the other process holds it: this one is refused, in this process too.
      expect(await runs.tryLock()).toBeNull();
      expect(await other.ask('release')).toBe('released');
      mine = await runs.tryLock();
      expect(mine).not.toBeNull();
    } finally {
      await other.exit();
    }
  }, 60_000);

  it('is free again when its holder dies without releasing it', async () => {
    const other = new OtherProcess(env);
    expect(await other.next()).toBe('held');
    expect(await runs.tryLock()).toBeNull();
    await other.kill();
    // PostgreSQL ends the dead session's lock when it sees the connection close: allow it a moment.
    for (let i = 0; i < 50 && !mine; i++) {
      mine = await runs.tryLock();
      if (!mine) await new Promise((r) => setTimeout(r, 100));
    }
    expect(mine).not.toBeNull();
  }, 60_000);
});
