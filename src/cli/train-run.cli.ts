import { ChildMessage, ChildRunRequest, lowerProcessPriority } from '../training/training-process';
import { TrainingService } from '../training/training.service';
import { CliCommand, CliUsageError, runCommand } from './cli-runner';

/**
 * The trainer entry point the server starts for each training run (TRAINING_PROCESS=child): a
 * process of its own, at TRAINING_NICE, on the command line's module (no HTTP, nothing of the
 * server's). It executes the run the server recorded, while the server holds its training lock,
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
    const send = (message: ChildMessage) => process.send?.(message);
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
  // Before anything else starts a thread: the ones started later inherit the level.
  lowerProcessPriority(Number(process.env.TRAINING_NICE ?? 10) || 0);
  // The server is gone (crash, SIGKILL): stop too; its next start settles the run.
  process.on('disconnect', () => process.exit(1));
  void runCommand(trainRunCommand).then((status) => process.exit(status));
}
