import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'instance.lock';

/** What the lock file holds: enough to tell a live holder from a dead one whose pid was reused. */
interface LockHolder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), null off Linux. */
  procStart: number | null;
  host: string;
  /** ISO time the holder took the lock. */
  since: string;
}

export class VarDirLockedError extends Error {}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when /proc cannot tell. */
export function processStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A holder is live when its process still runs and is the same process (same start time: a pid
 * reused after a reboot or container restart is not). A lock written on another host cannot be
 * checked from here and counts as live.
 */
function holderIsLive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (!alive(holder.pid)) return false;
  if (holder.procStart === null) return true;
  const start = processStart(holder.pid);
  return start === null || start === holder.procStart;
}

/**
 * One live process per VAR_DIR: the audit spool (and the default SQLite file) in it belong to
 * a single instance. The lock is a file created with O_EXCL holding the pid and the process's
 * start time; a lock whose holder is gone (a crash, a SIGKILL) is taken over.
 */
export class VarDirLock {
  readonly path: string;
  private held = false;

  constructor(readonly dir: string) {
    this.path = join(resolve(dir), LOCK_FILE);
  }

  acquire(): void {
    mkdirSync(this.dir, { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.tryCreate()) return;
      const holder = this.read(this.path);
      if (holder && holderIsLive(holder)) throw this.refusal(holder);
      if (!holder && this.youngerThan(this.path, 5000))
        throw new VarDirLockedError(
          `VAR_DIR ${resolve(this.dir)} is being locked by another process starting now (lock file ${this.path})`,
        );
      // Stale (or unreadable): move it aside atomically, then check that what moved is what was
      // judged stale, not a fresh lock another starting process wrote in between.
      const aside = `${this.path}.stale-${process.pid}`;
      try {
        renameSync(this.path, aside);
      } catch {
        continue; // someone else moved it first
      }
      const moved = this.read(aside);
      if (moved && holderIsLive(moved)) {
        renameSync(aside, this.path);
        throw this.refusal(moved);
      }
      unlinkSync(aside);
    }
    throw new VarDirLockedError(`Could not take the lock ${this.path}: it keeps changing hands`);
  }

  /** Removes the lock if this process holds it. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const holder = this.read(this.path);
    if (holder && holder.pid === process.pid && holder.procStart === processStart(process.pid))
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
  }

  private tryCreate(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    const holder: LockHolder = {
      pid: process.pid,
      procStart: processStart(process.pid),
      host: hostname(),
      since: new Date().toISOString(),
    };
    try {
      writeSync(fd, `${JSON.stringify(holder)}\n`);
    } finally {
      closeSync(fd);
    }
    this.held = true;
    return true;
  }

  /** An empty lock file is one being written right now, unless it is old. */
  private youngerThan(path: string, ms: number): boolean {
    try {
      return Date.now() - statSync(path).mtimeMs < ms;
    } catch {
      return false;
    }
  }

  private read(path: string): LockHolder | null {
    try {
      const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
      return typeof holder.pid === 'number' ? holder : null;
    } catch {
      return null;
    }
  }

  private refusal(holder: LockHolder): VarDirLockedError {
    const who = holder.pid === process.pid ? 'this very process' : `process ${holder.pid}`;
    return new VarDirLockedError(
      `VAR_DIR ${resolve(this.dir)} is in use by ${who} on ${holder.host} (since ${holder.since}; lock file ${this.path}). ` +
        'Each instance needs its own VAR_DIR: set VAR_DIR to another folder, or stop that process.',
    );
  }
}
