import { SingleBar, Presets } from 'cli-progress';
import { TrainingService } from '../training/training.service';
import { RegistryService } from '../registry/registry.service';
import { CliCommand, CliUsageError, runCli } from './cli-runner';

interface TrainArgs {
  trials?: number;
  families?: string[];
}

/**
 * npm run train [-- --trials N --families linear,xgboost]: one training run from the command
 * line, a progress bar per searched family, a summary table at the end.
 */
export const trainCommand: CliCommand<TrainArgs> = {
  usage: 'npm run train -- [--trials N] [--families a,b]',
  help: [
    'Runs one training run (trigger "cli") on the store, with the same settings and database as',
    'the server: ingests data/incoming, searches and fits each family, registers the versions and',
    'promotes those that beat their champion. A running server serves a promoted champion within',
    'CHAMPION_POLL_MS. Only one run at a time, across every process on the database: while another',
    'runs, this one is refused.',
    '',
    '  --trials N        search trials per searched family (default SEARCH_TRIALS)',
    '  --families a,b    the families to train (default all: linear, xgboost, xgboost-log, xgboost-blend)',
    '',
    'Exit status: 0 when the run succeeded (or partly), 1 when it failed or was refused, 2 for',
    'wrong arguments.',
  ].join('\n'),
  parse(argv) {
    const out: TrainArgs = {};
    // `--trials 5` and `--trials=5` alike.
    const words = argv.flatMap((a) => (/^--\w+=/.test(a) ? a.split(/=(.*)/s, 2) : [a]));
    for (let i = 0; i < words.length; i += 2) {
      const [name, value] = [words[i], words[i + 1]];
      if (name !== '--trials' && name !== '--families')
        throw new CliUsageError(`Unknown argument ${name}`);
      if (value === undefined || value.startsWith('-'))
        throw new CliUsageError(`${name} needs a value`);
      if (name === '--trials') {
        if (!/^\d+$/.test(value)) throw new CliUsageError('--trials must be a whole number >= 0');
        out.trials = Number(value);
      } else {
        out.families = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      }
    }
    return out;
  },
  async run(app, args) {
    const training = app.get(TrainingService);
    const registry = app.get(RegistryService);
    let bar: SingleBar | undefined;
    let best = Infinity;
    let current = '';
    const sub = training.progress$.subscribe((p) => {
      if (p.family !== current) {
        bar?.stop();
        bar = undefined;
        best = Infinity;
        current = p.family;
        if (p.trials > 0) {
          bar = new SingleBar(
            {
              format: `${p.family.padEnd(12)} [{bar}] {value}/{total} trials | best inner MAE {best}`,
              hideCursor: true,
              // Not a terminal (CI, a log file): a progress line every few seconds instead.
              noTTYOutput: true,
              notTTYSchedule: 3000,
            },
            Presets.shades_classic,
          );
          bar.start(p.trials, 0, { best: '-' });
        } else {
          process.stdout.write(`${p.family.padEnd(12)} fitting...\n`);
        }
      }
      if (p.trial && bar) {
        best = Math.min(best, p.trial.value ?? Infinity);
        bar.increment(1, { best: Number.isFinite(best) ? best.toFixed(1) : '-' });
      }
      if (p.phase === 'done') bar?.stop();
    });
    try {
      const { runId } = await training.startRun('cli', { ...args, actor: 'cli' });
      const run = await training.waitForRun(runId);
      bar?.stop();
      console.log(
        `\nRun ${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}; ${run.rowCount ?? '?'} rows, dataset ${run.datasetHash?.slice(0, 12) ?? '?'}`,
      );
      const rows = await Promise.all(
        run.outcomes.map(async (o) => {
          const v = o.version ? await registry.getVersion(o.family, o.version) : null;
          return {
            family: o.family,
            version: o.version ?? '-',
            'MAE $': v ? v.metrics.mae.toFixed(2) : '-',
            R2: v ? v.metrics.r2.toFixed(4) : '-',
            'RMSE $': v ? v.metrics.rmse.toFixed(2) : '-',
            'search s': v ? (v.searchMs / 1000).toFixed(1) : '-',
            'fit s': v ? (v.fitMs / 1000).toFixed(2) : '-',
            champion: o.error ? `error: ${o.error}` : o.promoted ? 'promoted' : 'kept previous',
          };
        }),
      );
      if (rows.length) console.table(rows);
      return run.status === 'failed' ? 1 : 0;
    } finally {
      sub.unsubscribe();
      bar?.stop();
    }
  },
};

if (require.main === module) runCli(trainCommand);
