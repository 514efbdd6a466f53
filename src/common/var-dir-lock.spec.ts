import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, processStart, VarDirLock, VarDirLockedError } from './var-dir-lock';

/** A real second process that holds the lock, as another instance on the same VAR_DIR would. */
function holdInChild(dir: string): Promise<ChildProcess> {
  const script = `
    const fs = require('node:fs');
    const os = require('node:os');
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const procStart = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    fs.writeFileSync(process.argv[1], JSON.stringify({ pid: process.pid, procStart, host: os.hostname(), since: new Date().toISOString() }), { flag: 'wx' });
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script, join(dir, LOCK_FILE)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
}

describe('VarDirLock', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'var-lock-'))));
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second process while the first lives, naming the folder and the holder', async () => {
    const child = await holdInChild(dir);
    children.push(child);
    const lock = new VarDirLock(dir);
    expect(() => lock.acquire()).toThrow(VarDirLockedError);
    expect(() => lock.acquire()).toThrow(
      new RegExp(`VAR_DIR ${dir} is in use by process ${child.pid} on ${hostname()}`),
    );
    // The holder's lock is left as it was.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(child.pid);
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const child = await holdInChild(dir);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const lock = new VarDirLock(dir);
    lock.acquire();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      procStart: processStart(process.pid),
    });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process (pid reused after a restart)', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: process.pid,
        procStart: (processStart(process.pid) ?? 0) - 1,
        host: hostname(),
        since: '2026-01-01T00:00:00.000Z',
      }),
    );
    const lock = new VarDirLock(dir);
    lock.acquire();
    expect(() => new VarDirLock(dir).acquire()).toThrow(/in use by this very process/);
    lock.release();
  });

  it('takes over an unreadable lock file that is not being written right now', () => {
    writeFileSync(join(dir, LOCK_FILE), '');
    expect(() => new VarDirLock(dir).acquire()).toThrow(/being locked by another process/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    const lock = new VarDirLock(dir);
    lock.acquire();
    lock.release();
  });
});
