import 'reflect-metadata';
import { SingleBar, Presets } from 'cli-progress';
import { DomainError } from '../common/domain-error';
import { TrainingService } from '../training/training.service';
import { RegistryService } from '../registry/registry.service';
import { createCliContext } from './cli-context';

/**
 * npm run train [-- --trials N --families linear,xgboost]: one training run from the command
 * line, a progress bar per searched family, a summary table at the end.
 */
function parseArgs(argv: string[]): { trials?: number; families?: string[] } {
  const out: { trials?: number; families?: string[] } = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--trials') out.trials = Number(argv[++i]);
    else if (argv[i] === '--families') out.families = argv[++i].split(',').map((s) => s.trim());
    else
      throw new Error(
        `Unknown argument ${argv[i]}; usage: npm run train -- [--trials N] [--families a,b]`,
      );
  }
  if (out.trials !== undefined && !(Number.isInteger(out.trials) && out.trials >= 0))
    throw new Error('--trials must be a whole number >= 0');
  return out;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const app = await createCliContext();
  try {
    const training = app.get(TrainingService);
    const registry = app.get(RegistryService);
    let bar: SingleBar | undefined;
    let current = '';
    const sub = training.progress$.subscribe((p) => {
      if (p.family !== current) {
        bar?.stop();
        bar = undefined;
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
        const best = (bar as unknown as { best?: number }).best;
        const value = p.trial.value ?? Infinity;
        const nextBest = best === undefined ? value : Math.min(best, value);
        (bar as unknown as { best?: number }).best = nextBest;
        bar.increment(1, { best: Number.isFinite(nextBest) ? nextBest.toFixed(1) : '-' });
      }
      if (p.phase === 'done') bar?.stop();
    });
    const { runId } = await training.startRun('cli', { ...args, actor: 'cli' });
    const run = await training.waitForRun(runId);
    sub.unsubscribe();
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
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
