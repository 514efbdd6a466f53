/**
 * Accuracy benchmark: `npm run bench:accuracy`.
 *
 * Trains with the production pipeline (TrainingService, a fresh SQLite database, default settings
 * and ACCURACY_TRIALS = 100 trials) on the bundled data/diamonds.csv, then prices the pool rows
 * the service never saw (../shared/data/ggplot2-diamonds-pool.csv minus the 8,000 rows drawn for
 * data/diamonds.csv and data/batches, see test/support/unseen-pool.ts) with every family's
 * champion and the default model: MAE, R2, MAPE, trees per price, and the run's wall time.
 * ACCURACY_GROWN=1 trains on a grown store instead: the bundled file, the three demo batches and
 * the unseen pool rows but ACCURACY_HOLDBACK (10,000, drawn by a seeded shuffle), which are the
 * yardstick. ACCURACY_CANDIDATES=1 also fits candidate defaults on the same rows (fixed
 * parameters, no search) and scores them on the same yardstick.
 *
 * When /usr/bin/python3 has xgboost, optuna and scikit-learn, two references train on the same
 * rows and price the same yardstick in the same run: the notebook's recipe
 * (bench/reference/notebook_xgboost.py, ACCURACY_REFERENCE_TRIALS, default ACCURACY_TRIALS) and
 * issue 21's feature recipe (bench/reference/feature_recipe.py, ACCURACY_REFERENCE_SEEDS seeds,
 * default 5); every figure is also given as a ratio to them. ACCURACY_REFERENCE=0 skips them.
 * Env also: POOL_CSV.
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { mulberry32 } from '../src/common/seeded-random';
import type { PricedDiamond } from '../src/diamonds/diamond-vocabulary';
import type { FittedModel, ModelFamily } from '../src/model-runtime/model-family';
import { embeddedWorkspace } from './embedded-workspace';
import { POOL_CSV, POOL_SAMPLES, unseenPoolRows } from '../test/support/unseen-pool';

const trials = Number(process.env.ACCURACY_TRIALS ?? 100);
const referenceTrials = Number(process.env.ACCURACY_REFERENCE_TRIALS ?? trials);
const referenceSeeds = Number(process.env.ACCURACY_REFERENCE_SEEDS ?? 5);
const grown = process.env.ACCURACY_GROWN === '1';
const holdback = Number(process.env.ACCURACY_HOLDBACK ?? 10000);
const withCandidates = process.env.ACCURACY_CANDIDATES === '1';
const python = '/usr/bin/python3';
const HEADER = 'carat,cut,color,clarity,depth,table,price,x,y,z';

function toCsv(rows: readonly PricedDiamond[]): string {
  return (
    [
      HEADER,
      ...rows.map((r) =>
        [r.carat, r.cut, r.color, r.clarity, r.depth, r.table, r.price, r.x, r.y, r.z].join(','),
      ),
    ].join('\n') + '\n'
  );
}

/** Trees walked for one price: a blend's parts over its seeds, a tree model's rounds, else 0. */
function treesPerPrice(params: Record<string, unknown>): number {
  const rounds = (p: unknown) => Number((p as { n_estimators?: unknown })?.n_estimators ?? 0);
  if (Array.isArray(params.seeds) && params.logPrice) {
    const weight = Number(params.priceWeight);
    return (
      params.seeds.length * ((weight > 0 ? rounds(params.price) : 0) + rounds(params.logPrice))
    );
  }
  return rounds(params);
}

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

function runPython(work: string, script: string, args: string[]): Record<string, unknown> {
  const started = performance.now();
  const out = execFileSync(python, [path.join(__dirname, 'reference', script), ...args], {
    cwd: work,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(out) as Record<string, unknown>;
  result.wall_s = (performance.now() - started) / 1000;
  return result;
}

interface Scored extends Scores {
  trees: number;
}

function line(label: string, m: Scored, extra: Record<string, string | number> = {}) {
  return {
    model: label,
    ...extra,
    'unseen MAE': m.mae.toFixed(1),
    'unseen R2': m.r2.toFixed(4),
    'unseen MAPE %': (100 * m.mape).toFixed(2),
    'trees/price': m.trees,
  };
}

/** Candidate defaults, fitted with fixed parameters on the pipeline's rows (no search). */
async function candidates(): Promise<{ label: string; family: ModelFamily; params: object }[]> {
  const { XgboostLogFamily } = await import('../src/model-runtime/families/xgboost-log.family');
  const { XgboostBlendFamily } = await import('../src/model-runtime/families/xgboost-blend.family');
  const { XGBOOST_FIRST_TRIAL, XGBOOST_LOG_FIRST_TRIAL } =
    await import('../src/model-runtime/families/xgboost-search-space');
  const depth6 = { ...XGBOOST_LOG_FIRST_TRIAL, max_depth: 6 };
  const recipe = { ...depth6, colsample_bytree: 0.8, alpha: 0 };
  const log = new XgboostLogFamily();
  const blend = new XgboostBlendFamily();
  return [
    {
      label: 'log, recipe (depth 6, cs 0.8), nine columns',
      family: log,
      params: { ...recipe, feature_set: 'columns-v1' },
    },
    { label: 'log, recipe (depth 6, cs 0.8), derived-v1', family: log, params: recipe },
    {
      label: 'previous default: 10/90, 1 seed, depth-6 parts',
      family: blend,
      params: { priceWeight: 0.1, seeds: [42], price: XGBOOST_FIRST_TRIAL, logPrice: depth6 },
    },
    {
      label: 'dropped: 10/90, 2 seeds, depth-5 log parts',
      family: blend,
      params: {
        priceWeight: 0.1,
        seeds: [42, 43],
        price: XGBOOST_FIRST_TRIAL,
        logPrice: XGBOOST_LOG_FIRST_TRIAL,
      },
    },
    {
      label: 'log price, depth 5, 3 seeds',
      family: blend,
      params: { priceWeight: 0, seeds: [42, 43, 44], logPrice: XGBOOST_LOG_FIRST_TRIAL },
    },
  ];
}

async function main(): Promise<void> {
  const { work, dataDir } = embeddedWorkspace('accuracy-bench');
  // Imported after the environment is set: the config is read when the modules load.
  const { createCliContext } = await import('../src/cli/cli-runner');
  const { loadConfig } = await import('../src/config/app-config');
  const { DiamondsService } = await import('../src/diamonds/diamonds.service');
  const { TrainingService } = await import('../src/training/training.service');
  const { RegistryService } = await import('../src/registry/registry.service');

  const unseen = unseenPoolRows(POOL_CSV);
  let yardstick = unseen.rows;
  // The files the store ingests, in order (the bundled file first).
  const trainFiles = [path.join(dataDir, 'diamonds.csv')];
  if (grown) {
    const order = unseen.rows.map((_, i) => i);
    const random = mulberry32(21);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    yardstick = order.slice(0, holdback).map((i) => unseen.rows[i]);
    const rest = order.slice(holdback).map((i) => unseen.rows[i]);
    trainFiles.push(...POOL_SAMPLES.slice(1), path.join(work, 'grown.csv'));
    writeFileSync(path.join(work, 'grown.csv'), toCsv(rest));
  }
  const actual = yardstick.map((row) => row.price);
  console.log(
    `unseen pool rows: ${unseen.rows.length} (${unseen.refused} refused by validation); ` +
      `${grown ? `grown store: ${trainFiles.length} files, ${yardstick.length} rows held back as the yardstick` : 'bundled file only, every unseen row is the yardstick'}; trials ${trials}`,
  );

  const app = await createCliContext(loadConfig());
  const diamonds = app.get(DiamondsService);
  for (const file of trainFiles) await diamonds.ingestFile(file, 'cli', path.basename(file));
  const rows: Record<string, string | number>[] = [];
  const scored: Record<string, Scored> = {};
  let trainSeconds = 0;
  let trainRows: PricedDiamond[] = [];
  try {
    const training = app.get(TrainingService);
    const registry = app.get(RegistryService);
    const started = performance.now();
    const { runId } = await training.startRun('cli', { trials, actor: 'bench' });
    const run = await training.waitForRun(runId);
    trainSeconds = (performance.now() - started) / 1000;
    if (run.status !== 'succeeded') throw new Error(`Training run ${run.status}: ${run.error}`);
    trainRows = (await diamonds.snapshot()).rows;
    const fallback = await registry.defaultChampion();
    for (const outcome of run.outcomes) {
      const champion = await registry.findChampion(outcome.family);
      if (!champion) continue;
      const model = await registry.loadModel(champion);
      try {
        const m = {
          ...regressionMetrics(actual, await model.predict(yardstick), { sampleSize: 0 }),
          trees: treesPerPrice(champion.params),
        };
        const isDefault = fallback?.id === champion.id;
        scored[champion.family] = m;
        if (isDefault) scored.default = m;
        rows.push(
          line(`${champion.family} v${champion.version}${isDefault ? ' (default)' : ''}`, m, {
            'holdout MAE': champion.metrics.mae.toFixed(1),
          }),
        );
      } finally {
        model.dispose();
      }
    }
  } finally {
    await app.close();
  }
  console.log(
    `\nproduction pipeline on ${trainRows.length} rows: one ${trials}-trial run in ${trainSeconds.toFixed(1)} s wall`,
  );
  console.table(rows);

  if (withCandidates) {
    const tried: Record<string, string | number>[] = [];
    for (const candidate of await candidates()) {
      const started = performance.now();
      const result = await candidate.family.train(trainRows, {
        seed: 42,
        trials: 0,
        fixedParams: candidate.params as Record<string, unknown>,
      });
      const model: FittedModel = result.model;
      try {
        const m = {
          ...regressionMetrics(actual, await model.predict(yardstick), { sampleSize: 0 }),
          trees: treesPerPrice(result.params),
        };
        scored[candidate.label] = m;
        tried.push(
          line(candidate.label, m, { 'fit s': ((performance.now() - started) / 1000).toFixed(1) }),
        );
      } finally {
        model.dispose();
      }
    }
    console.log(
      `\ncandidate defaults, fixed parameters, fitted on the same ${trainRows.length} rows:`,
    );
    console.table(tried);
  }

  if (!referenceAvailable()) {
    console.log(`\nreference skipped (${python} with xgboost, optuna, scikit-learn not found)`);
  } else {
    const evalCsv = path.join(work, 'unseen.csv');
    writeFileSync(evalCsv, toCsv(yardstick));
    const trainCsv = path.join(work, 'train.csv');
    writeFileSync(
      trainCsv,
      trainFiles
        .map((file, i) =>
          readFileSync(file, 'utf8')
            .split(/\r?\n/)
            .filter((l) => l.length > 0)
            .slice(i === 0 ? 0 : 1)
            .join('\n'),
        )
        .join('\n') + '\n',
    );
    const recipe = runPython(work, 'feature_recipe.py', [
      trainCsv,
      evalCsv,
      String(referenceSeeds),
    ]);
    const ref = runPython(work, 'notebook_xgboost.py', [
      trainCsv,
      evalCsv,
      String(referenceTrials),
    ]);
    const price = ref.xgboost as Scores;
    const logRefit = ref.xgboost_log_refit as Scores;
    const searchS = ref.xgboost_search_s as number;
    const logSearchS = ref.xgboost_log_search_s as number;
    const features = recipe.features_seeds as Scores;
    console.log(
      `\nreferences on ${String(recipe.train_rows)} rows (${JSON.stringify(ref.versions)}):\n` +
        `  notebook recipe, ${referenceTrials} trials each: XGBoost on price MAE ${price.mae.toFixed(1)} R2 ${price.r2.toFixed(4)} MAPE ${(100 * price.mape).toFixed(2)} %, search ${searchS.toFixed(1)} s; ` +
        `log-price refit on all rows MAE ${logRefit.mae.toFixed(1)} R2 ${logRefit.r2.toFixed(4)}, search ${logSearchS.toFixed(1)} s\n` +
        `  feature recipe (log price, lr 0.03 x 1,000, subsample 0.8, colsample 0.8): nine columns, 1 seed MAE ${(recipe.columns as Scores).mae.toFixed(1)}; ` +
        `with the four features, 1 seed ${(recipe.features as Scores).mae.toFixed(1)} (${(recipe.features_s as number).toFixed(1)} s); ` +
        `${referenceSeeds} seeds averaged ${features.mae.toFixed(1)} R2 ${features.r2.toFixed(4)} MAPE ${(100 * features.mape).toFixed(2)} % (${(recipe.features_seeds_s as number).toFixed(1)} s, ${1000 * referenceSeeds} trees a price); ` +
        `seed by seed ${(recipe.features_seed_maes as number[]).map((v) => v.toFixed(1)).join(', ')}`,
    );
    for (const [label, m] of Object.entries(scored)) {
      console.log(
        `${label.padEnd(40)} MAE / notebook XGBoost ${(m.mae / price.mae).toFixed(3)}, / notebook log-price refit ${(m.mae / logRefit.mae).toFixed(3)}, / feature recipe ${referenceSeeds} seeds ${(m.mae / features.mae).toFixed(3)}`,
      );
    }
    console.log(
      `training wall time / notebook price search: ${(trainSeconds / searchS).toFixed(2)}; / both notebook searches: ${(trainSeconds / (searchS + logSearchS)).toFixed(2)}`,
    );
    const goal = scored.default && scored.default.mae <= features.mae;
    console.log(
      `goal (default MAE <= the feature recipe, ${referenceSeeds} seeds): ${goal ? 'met' : 'NOT met'}; default ${scored.default?.trees} trees a price`,
    );
  }
  rmSync(work, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
