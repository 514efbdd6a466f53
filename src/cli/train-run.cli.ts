import { ChildMessage, ChildRunRequest, lowerProcessPriority } from '../training/training-process';
import { TrainingService } from '../training/training.service';
import { CliCommand, CliUsageError, runCommand } from './cli-runner';

/** The part of `process` the child talks to its parent through. */
export type ParentChannel = Pick<NodeJS.Process, 'send' | 'connected'>;

/**
 * Sends a message to the parent without ever throwing: a send on a closed channel (the parent
 * is gone) would otherwise be an unhandled 'error' event (ERR_IPC_CHANNEL_CLOSED, or EPIPE from
 * the write), a crash with a stack trace. When the parent is gone, `gone` is called instead. No
 * IPC channel at all (started by hand): nothing to send to.
 */
export function sendToParent(
  channel: ParentChannel,
  message: ChildMessage,
  gone: (reason: string) => void,
): void {
  if (!channel.send) return;
  if (!channel.connected) return gone('the IPC channel is closed');
  channel.send(message, undefined, {}, (err: Error | null) => {
    if (err) gone(err.message);
  });
}

/** The server is gone (crash, SIGKILL): stop, with one line; its next start settles the run. */
function parentGone(reason: string): void {
  process.stderr.write(`train-run: the server is gone (${reason}); stopping\n`);
  process.exit(1);
}

/**
 * The trainer entry point the server starts for each training run (TRAINING_PROCESS=child): a
 * process of its own, at TRAINING_SCHEDULING (SCHED_IDLE, or TRAINING_NICE), on the command
 * line's module (no HTTP, nothing of the server's). It executes the run the server recorded, while the server holds its training lock,
 * and tells the server its progress over IPC. Not a command for people: `npm run train` is.
 */
export const trainRunCommand: CliCommand<ChildRunRequest> = {
  usage: 'node dist/cli/train-run.cli.js <run request as JSON> (started by the server)',
  help: 'Executes a training run the server recorded; the server starts it (TRAINING_PROCESS=child).',
  parse(argv) {
    try {
      const request = JSON.parse(argv[0] ?? '') as ChildRunRequest;
      if (!Number.isInteger(request.runId) || !Array.isArray(request.families))
        throw new Error('runId and families are required');
      return request;
    } catch (err) {
      throw new CliUsageError(`Bad run request: ${(err as Error).message}`);
    }
  },
  async run(app, request) {
    const training = app.get(TrainingService);
    const send = (message: ChildMessage) => sendToParent(process, message, parentGone);
    const sub = training.progress$.subscribe((progress) => send({ type: 'progress', progress }));
    try {
      send({ type: 'started', pid: process.pid });
      const run = await training.executeRecordedRun(
        request.runId,
        request.families,
        request.trials,
        {
          onlyIfDataChanged: request.onlyIfDataChanged,
          actor: request.actor,
        },
      );
      return run.status === 'failed' ? 1 : 0;
    } finally {
      sub.unsubscribe();
    }
  },
};

if (require.main === module) {
  // At nice (TRAINING_SCHEDULING=nice, or idle's fallback), before anything else starts a
  // thread: the ones started later inherit the level. At idle the server started this process
  // through chrt, SCHED_IDLE already, and every thread inherits that.
  if (process.env.TRAINING_SCHEDULING !== 'idle')
    lowerProcessPriority(Number(process.env.TRAINING_NICE ?? 10) || 0);
  process.on('disconnect', () => parentGone('the IPC channel closed'));
  void runCommand(trainRunCommand).then((status) => process.exit(status));
}
