import { Injectable, Logger } from '@nestjs/common';
import { ChildProcess, execFile, spawn, SpawnOptions } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { extname, join } from 'node:path';
import { AppConfig } from '../config/app-config';

/** What the server hands its training child: the recorded run and how to run it. */
export interface ChildRunRequest {
  runId: number;
  families: string[];
  trials: number;
  onlyIfDataChanged?: boolean;
  actor?: string;
}

/**
 * The messages a training child sends its parent over IPC. `scheduling` is not the child's: the
 * parent adds how it started the child (`SCHED_IDLE`, `nice 10`) before passing `started` on.
 */
export type ChildMessage =
  { type: 'started'; pid: number; scheduling?: string } | { type: 'progress'; progress: unknown };

/** How a training child was started: SCHED_IDLE through chrt, or at a nice level. */
export type TrainingScheduling = 'idle' | 'nice';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The trainer entry point the child runs (`src/cli/train-run.cli.ts`, or its build in dist/).
 * Named by path, not imported: the command line sits above training.
 */
function trainerEntry(): { file: string; execArgv: string[] } {
  const ext = extname(__filename);
  const file = join(__dirname, '..', 'cli', `train-run.cli${ext}`);
  // From the sources (tests, ts-node) the child needs the TypeScript loader; dist/ is plain JS.
  return { file, execArgv: ext === '.ts' ? ['-r', 'ts-node/register/transpile-only'] : [] };
}

/** The settings as environment variables: the child loads the very configuration the server runs with. */
function settingsAsEnv(config: AppConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config))
    if (value !== undefined && value !== null) env[key] = String(value);
  return env;
}

/**
 * Lowers the CPU priority of this process to `nice`, every thread it has now included: on
 * Linux the nice value is per thread (setpriority on a thread id), and a thread started later
 * inherits its creator's, so the search's worker threads come out at the same level.
 */
export function lowerProcessPriority(nice: number): void {
  setPriority(0, nice);
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return; // not Linux: setpriority on the process is all there is
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), nice);
    } catch {
      // a thread that ended meanwhile
    }
  }
}

/**
 * Whether `chrt` at this path can start a process at SCHED_IDLE here: runs `chrt --idle 0 true`
 * (false when the binary is absent, not executable, or the kernel refuses the policy).
 */
export function chrtCanIdle(chrtPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(chrtPath, ['--idle', '0', 'true'], { timeout: 5000 }, (err) => resolve(!err));
  });
}

/**
 * Runs recorded training runs in child processes at TRAINING_SCHEDULING (the server keeps the
 * training lock and the run's bookkeeping; the child does the work). Owns the children:
 * `stopAll` ends them when the server stops, and a child whose parent is gone stops by itself
 * (IPC closed).
 */
@Injectable()
export class TrainingProcess {
  private readonly logger = new Logger(TrainingProcess.name);
  private readonly children = new Set<ChildProcess>();
  /** The scheduling the children get, settled once (the chrt probe runs at the first run). */
  private schedulingUsed: Promise<TrainingScheduling> | undefined;
  private stopped = false;

  constructor(private readonly config: AppConfig) {}

  /**
   * The scheduling the children are started with: TRAINING_SCHEDULING, except `idle` where chrt
   * cannot set SCHED_IDLE (probed once): then `nice`, with one warning.
   */
  scheduling(): Promise<TrainingScheduling> {
    this.schedulingUsed ??= this.settleScheduling();
    return this.schedulingUsed;
  }

  private async settleScheduling(): Promise<TrainingScheduling> {
    if (this.config.TRAINING_SCHEDULING === 'nice') return 'nice';
    const chrt = this.config.TRAINING_CHRT_PATH;
    if (await chrtCanIdle(chrt)) return 'idle';
    this.logger.warn(
      `TRAINING_SCHEDULING=idle: \`${chrt} --idle 0\` cannot start a process at SCHED_IDLE here ` +
        `(TRAINING_CHRT_PATH); training children run at nice ${this.config.TRAINING_NICE} (TRAINING_NICE) instead`,
    );
    return 'nice';
  }

  /** True when runs go to a child: TRAINING_PROCESS=child and a database a second process can open. */
  enabled(): boolean {
    return (
      this.config.TRAINING_PROCESS === 'child' &&
      (this.config.DATABASE_URL !== undefined || this.config.SQLITE_PATH !== ':memory:')
    );
  }

  /** The pids of the running children (for the tests and the logs). */
  pids(): number[] {
    return [...this.children].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** Runs one recorded run in a child; resolves when the child has exited. */
  async run(
    request: ChildRunRequest,
    onMessage: (message: ChildMessage) => void,
  ): Promise<ChildExit> {
    const scheduling = await this.scheduling();
    // The server began stopping while chrt was probed: no child is started any more.
    if (this.stopped) return { code: null, signal: 'SIGTERM' };
    const { file, execArgv } = trainerEntry();
    const nodeArgs = [...execArgv, file, JSON.stringify(request)];
    const env = {
      ...process.env,
      ...settingsAsEnv(this.config),
      DB_MIGRATIONS_RUN: 'false',
      // What the child was started with (after a fallback): it lowers its own threads at nice only.
      TRAINING_SCHEDULING: scheduling,
    };
    const options: SpawnOptions = { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
    // chrt execs node in its own process: the pid, the IPC channel and the exit are node's.
    // SCHED_IDLE holds for every thread node starts (a new thread inherits its creator's policy).
    const child =
      scheduling === 'idle'
        ? spawn(
            this.config.TRAINING_CHRT_PATH,
            ['--idle', '0', process.execPath, ...nodeArgs],
            options,
          )
        : spawn(process.execPath, nodeArgs, options);
    this.children.add(child);
    if (scheduling === 'nice' && child.pid !== undefined) {
      try {
        // At once, from here: the child lowers its other threads itself as it starts.
        setPriority(child.pid, this.config.TRAINING_NICE);
      } catch (err) {
        this.logger.warn(
          `Could not lower the training process's priority: ${(err as Error).message}`,
        );
      }
    }
    const described = scheduling === 'idle' ? 'SCHED_IDLE' : `nice ${this.config.TRAINING_NICE}`;
    child.on('message', (message: ChildMessage) =>
      onMessage(message.type === 'started' ? { ...message, scheduling: described } : message),
    );
    return await new Promise<ChildExit>((resolve) => {
      const done = (exit: ChildExit) => {
        this.children.delete(child);
        resolve(exit);
      };
      child.once('error', (err) => {
        this.logger.error(`Training process failed: ${err.message}`);
        done({ code: null, signal: null });
      });
      child.once('close', (code, signal) => done({ code, signal }));
    });
  }

  /** Ends every child (the server is stopping); their runs are then recorded as interrupted. */
  stopAll(): void {
    this.stopped = true;
    for (const child of this.children) child.kill('SIGTERM');
  }
}
