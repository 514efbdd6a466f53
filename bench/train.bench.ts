/**
 * Training benchmark on the notebook's data: `npm run bench:train`.
 *
 * Reads ../shared/data/diamonds.csv (or DIAMONDS_CSV), cleans it like the notebook, splits it like
 * scikit-learn (test_size=0.2, random_state=42), then per family: search wall time, final fit
 * time and holdout metrics. Env: BENCH_TRIALS (default 100), BENCH_SEED (42),
 * BENCH_CONCURRENCY (default: cores), BENCH_FAMILIES (comma list, default all).
 */
import { SingleBar } from 'cli-progress';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadNotebookDiamonds } from '../test/support/notebook-data';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { LinearFamily } from '../src/model-runtime/families/linear.family';
import { ModelFamily, TrialRecord } from '../src/model-runtime/model-family';
import { XgboostLogFamily } from '../src/model-runtime/families/xgboost-log.family';
import { XgboostFamily } from '../src/model-runtime/families/xgboost.family';
import { sklearnTrainTestSplit } from '../src/model-runtime/split';

const csv = process.env.DIAMONDS_CSV ?? path.resolve(__dirname, '../../shared/data/diamonds.csv');
const trials = Number(process.env.BENCH_TRIALS ?? 100);
const seed = Number(process.env.BENCH_SEED ?? 42);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? availableParallelism());
const only = process.env.BENCH_FAMILIES?.split(',').map((name) => name.trim());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? NaN
    : sorted.length % 2
      ? sorted[mid]
      : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function bench(family: ModelFamily, budget: number, label = family.name): Promise<void> {
  const rows = loadNotebookDiamonds(csv);
  const { train, test } = sklearnTrainTestSplit(rows, { testSize: 0.2, randomState: 42 });
  const bar =
    process.stderr.isTTY && budget > 0
      ? new SingleBar({ format: `${label} {bar} {value}/{total} trials`, stream: process.stderr })
      : null;
  bar?.start(budget, 0);
  const started = performance.now();
  const result = await family.train(train, {
    seed,
    trials: budget,
    concurrency,
    onTrial: () => bar?.increment(),
  });
  const totalMs = performance.now() - started;
  bar?.stop();
  const predictStarted = performance.now();
  const predicted = await result.model.predict(test);
  const predictMs = performance.now() - predictStarted;
  const metrics = regressionMetrics(
    test.map((row) => row.price),
    predicted,
  );
  const artifactBytes = result.model.serialize().length;
  result.model.dispose();

  console.log(`\n== ${label}`);
  if (family.searchable && budget > 0) {
    const byState = (state: TrialRecord['state']) => result.trials.filter((t) => t.state === state);
    const durations = result.trials.map((t) => t.durationMs);
    const busy = durations.reduce((sum, ms) => sum + ms, 0);
    const complete = byState('complete');
    const best = complete.reduce<TrialRecord | null>(
      (b, t) => (b === null || (t.value as number) < (b.value as number) ? t : b),
      null,
    );
    console.log(
      `search: ${result.trials.length} trials in ${seconds(result.searchMs)} wall (concurrency ${concurrency})`,
    );
    console.log(
      `  trials: ${complete.length} complete, ${byState('pruned').length} pruned, ${byState('failed').length} failed; ` +
        `per trial mean ${seconds(busy / durations.length)}, median ${seconds(median(durations))}, max ${seconds(Math.max(...durations))}`,
    );
    console.log(
      `  complete trials mean ${seconds(complete.reduce((s, t) => s + t.durationMs, 0) / Math.max(1, complete.length))}, ` +
        `pruned trials mean ${seconds(byState('pruned').reduce((s, t) => s + t.durationMs, 0) / Math.max(1, byState('pruned').length))}; ` +
        `workers busy ${((100 * busy) / (result.searchMs * concurrency)).toFixed(0)} % of the wall time`,
    );
    console.log(`  best inner-validation MAE ${best?.value?.toFixed(2)} (trial ${best?.number})`);
    console.log(`  best params ${JSON.stringify(best?.params)}`);
    const firstFailure = byState('failed')[0];
    if (firstFailure) console.log(`  first failure: ${firstFailure.error}`);
  }
  console.log(
    `fit on ${train.length} rows: ${seconds(result.fitMs)}; train() total ${seconds(totalMs)}`,
  );
  console.log(
    `holdout (${metrics.count} rows): R2 ${metrics.r2.toFixed(4)}  MAE ${metrics.mae.toFixed(2)}  RMSE ${metrics.rmse.toFixed(2)}  ` +
      `MAPE ${(100 * metrics.mape).toFixed(2)} %  (predict ${predictMs.toFixed(0)} ms, artifact ${(artifactBytes / 1024).toFixed(0)} KiB)`,
  );
}

async function main(): Promise<void> {
  console.log(`data ${csv}; trials ${trials}; seed ${seed}; concurrency ${concurrency}`);
  const runs: [ModelFamily, number, string?][] = [
    [new LinearFamily(), 0],
    [new XgboostFamily(), 0, 'xgboost (defaults, no search)'],
    [new XgboostFamily(), trials],
    [new XgboostLogFamily(), trials],
  ];
  for (const [family, budget, label] of runs) {
    if (only && !only.includes(family.name)) continue;
    await bench(family, budget, label);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
