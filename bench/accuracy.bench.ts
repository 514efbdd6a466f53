/**
 * Accuracy benchmark: `npm run bench:accuracy`.
 *
 * Trains with the production pipeline (TrainingService, a fresh SQLite database, the bundled
 * data/diamonds.csv, default settings and ACCURACY_TRIALS = 100 trials), then prices the pool
 * rows the service never saw (../shared/data/ggplot2-diamonds-pool.csv minus the 8,000 rows
 * drawn for data/diamonds.csv and data/batches, see test/support/unseen-pool.ts) with every
 * family's champion and the default model: MAE, R2 and MAPE, and the training wall time. When
 * /usr/bin/python3 has xgboost, optuna and scikit-learn, the notebook's recipe
 * (bench/reference/notebook_xgboost.py) trains on the same file and prices the same rows in the
 * same run, and every figure is also given as a ratio to it. Env: ACCURACY_TRIALS (100),
 * ACCURACY_REFERENCE=0 to skip the reference, POOL_CSV.
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { POOL_CSV, unseenPoolRows } from '../test/support/unseen-pool';

const root = path.resolve(__dirname, '..');
const trials = Number(process.env.ACCURACY_TRIALS ?? 100);
const python = '/usr/bin/python3';

interface Scores {
  mae: number;
  r2: number;
  mape: number;
}

function referenceAvailable(): boolean {
  if (process.env.ACCURACY_REFERENCE === '0' || !existsSync(python)) return false;
  const probe = spawnSync(python, ['-c', 'import xgboost, optuna, sklearn'], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

function runReference(work: string, evalCsv: string): Record<string, unknown> {
  const started = performance.now();
  const out = execFileSync(
    python,
    [
      path.join(__dirname, 'reference/notebook_xgboost.py'),
      path.join(root, 'data/diamonds.csv'),
      evalCsv,
      String(trials),
    ],
    { cwd: work, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(out) as Record<string, unknown>;
  result.wall_s = (performance.now() - started) / 1000;
  return result;
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'accuracy-bench-'));
  const dataDir = path.join(work, 'data');
  mkdirSync(path.join(dataDir, 'incoming'), { recursive: true });
  copyFileSync(path.join(root, 'data/diamonds.csv'), path.join(dataDir, 'diamonds.csv'));
  Object.assign(process.env, {
    DATABASE_URL: '',
    SQLITE_PATH: path.join(work, 'bench.sqlite'),
    DATA_DIR: dataDir,
    ARTIFACTS_DIR: path.join(work, 'artifacts'),
    VAR_DIR: path.join(work, 'var'),
    AUDIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  delete process.env.DATABASE_URL;
  // Imported after the environment is set: the config is read when the modules load.
  const { createCliContext } = await import('../src/cli/cli-runner');
  const { loadConfig } = await import('../src/config/app-config');
  const { DiamondsService } = await import('../src/diamonds/diamonds.service');
  const { TrainingService } = await import('../src/training/training.service');
  const { RegistryService } = await import('../src/registry/registry.service');

  const unseen = unseenPoolRows(POOL_CSV);
  const actual = unseen.rows.map((row) => row.price);
  console.log(
    `unseen pool rows: ${unseen.rows.length} (${unseen.refused} refused by validation); trials ${trials}`,
  );

  const app = await createCliContext(loadConfig());
  await app
    .get(DiamondsService)
    .ingestFile(path.join(dataDir, 'diamonds.csv'), 'bundled', 'diamonds.csv (bundled)');
  const rows: Record<string, string | number>[] = [];
  const scored: Record<string, Scores> = {};
  let trainSeconds = 0;
  try {
    const training = app.get(TrainingService);
    const registry = app.get(RegistryService);
    const started = performance.now();
    const { runId } = await training.startRun('cli', { trials, actor: 'bench' });
    const run = await training.waitForRun(runId);
    trainSeconds = (performance.now() - started) / 1000;
    if (run.status !== 'succeeded') throw new Error(`Training run ${run.status}: ${run.error}`);
    const fallback = await registry.defaultChampion();
    for (const outcome of run.outcomes) {
      const champion = await registry.findChampion(outcome.family);
      if (!champion) continue;
      const model = await registry.loadModel(champion);
      try {
        const m = regressionMetrics(actual, await model.predict(unseen.rows), { sampleSize: 0 });
        const label = `${champion.family} v${champion.version}${fallback?.id === champion.id ? ' (default)' : ''}`;
        scored[champion.family] = m;
        if (fallback?.id === champion.id) scored.default = m;
        rows.push({
          model: label,
          'holdout MAE': champion.metrics.mae.toFixed(1),
          'unseen MAE': m.mae.toFixed(1),
          'unseen R2': m.r2.toFixed(4),
          'unseen MAPE %': (100 * m.mape).toFixed(2),
        });
      } finally {
        model.dispose();
      }
    }
  } finally {
    await app.close();
  }
  console.log(
    `\nproduction pipeline: one ${trials}-trial run in ${trainSeconds.toFixed(1)} s wall`,
  );
  console.table(rows);

  if (!referenceAvailable()) {
    console.log(`\nreference skipped (${python} with xgboost, optuna, scikit-learn not found)`);
  } else {
    const evalCsv = path.join(work, 'unseen.csv');
    writeFileSync(
      evalCsv,
      [
        'carat,cut,color,clarity,depth,table,price,x,y,z',
        ...unseen.rows.map((r) =>
          [r.carat, r.cut, r.color, r.clarity, r.depth, r.table, r.price, r.x, r.y, r.z].join(','),
        ),
      ].join('\n') + '\n',
    );
    const ref = runReference(work, evalCsv);
    const price = ref.xgboost as Scores;
    const logRefit = ref.xgboost_log_refit as Scores;
    const searchS = ref.xgboost_search_s as number;
    console.log(
      `\nreference (${JSON.stringify(ref.versions)}), ${trials} trials each: XGBoost on price: MAE ${price.mae.toFixed(1)} R2 ${price.r2.toFixed(4)} MAPE ${(100 * price.mape).toFixed(2)} %, search ${searchS.toFixed(1)} s; ` +
        `log-price refit on all rows: MAE ${logRefit.mae.toFixed(1)} R2 ${logRefit.r2.toFixed(4)}, search ${(ref.xgboost_log_search_s as number).toFixed(1)} s`,
    );
    for (const [family, m] of Object.entries(scored)) {
      console.log(
        `${family.padEnd(14)} MAE / reference XGBoost ${(m.mae / price.mae).toFixed(3)}, / reference log-price refit ${(m.mae / logRefit.mae).toFixed(3)}`,
      );
    }
    console.log(
      `training wall time / reference price search: ${(trainSeconds / searchS).toFixed(2)}; / both reference searches: ${(trainSeconds / (searchS + (ref.xgboost_log_search_s as number))).toFixed(2)}`,
    );
    const goal =
      scored.default &&
      scored.default.mae <= 0.95 * price.mae &&
      scored.default.mae <= logRefit.mae;
    console.log(
      `goal (default MAE <= 0.95x reference XGBoost and <= log-price refit): ${goal ? 'met' : 'NOT met'}`,
    );
  }
  rmSync(work, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
