/**
 * Price-range coverage on unseen rows: `npm run bench:ranges`.
 *
 * Trains each family as the pipeline does (the bundled data/diamonds.csv plus the three demo
 * batches, stable-hash 80/20 split, search, split-conformal calibration on the holdout), then
 * prices every pool row that neither the bundled data nor the batches use (see data/README.md)
 * and reports the share of true prices inside the 90 % and 80 % ranges and their mean width
 * relative to the price. Targets: 90 % range in [0.88, 0.92], 80 % in [0.78, 0.82].
 * Env: BENCH_TRIALS (default 100), BENCH_SEED (42), BENCH_CONCURRENCY (cores),
 * BENCH_FAMILIES (comma list, default all), POOL_CSV (default ../shared/data/ggplot2-diamonds-pool.csv).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { cleanLikeNotebook, readDiamondsCsv } from '../test/support/notebook-data';
import { POOL_SAMPLES, unseenPoolRows } from '../test/support/unseen-pool';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { assessHoldout } from '../src/model-runtime/evaluation/holdout-assessment';
import { PriceRangeCalculator } from '../src/model-runtime/evaluation/price-range';
import { LinearFamily } from '../src/model-runtime/families/linear.family';
import { ModelFamily } from '../src/model-runtime/model-family';
import { XgboostBlendFamily } from '../src/model-runtime/families/xgboost-blend.family';
import { XgboostLogFamily } from '../src/model-runtime/families/xgboost-log.family';
import { XgboostFamily } from '../src/model-runtime/families/xgboost.family';
import { stableHashSplit } from '../src/model-runtime/split';

const trials = Number(process.env.BENCH_TRIALS ?? 100);
const seed = Number(process.env.BENCH_SEED ?? 42);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? availableParallelism());
const only = process.env.BENCH_FAMILIES?.split(',').map((name) => name.trim());

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  const training = cleanLikeNotebook(POOL_SAMPLES.flatMap((f) => readDiamondsCsv(f)));
  const { rows: unseen, refused } = unseenPoolRows();
  const split = stableHashSplit(training, { testFraction: 0.2 });
  console.log(
    `Training rows ${training.length} (train ${split.train.length}, holdout ${split.test.length}); ` +
      `unseen pool rows ${unseen.length} (${refused} refused by validation); ${trials} trials, seed ${seed}`,
  );
  const families: ModelFamily[] = [
    new LinearFamily(),
    new XgboostFamily(),
    new XgboostLogFamily(),
    new XgboostBlendFamily(),
  ];
  const actual = unseen.map((r) => r.price);
  let failed = false;
  for (const family of families.filter((f) => !only || only.includes(f.name))) {
    const started = performance.now();
    const result = await family.train(split.train, {
      seed,
      trials: family.searchable ? trials : 0,
      concurrency,
    });
    const holdoutPredicted = await result.model.predict(split.test);
    const { calibration } = await assessHoldout(result.model, split.test, holdoutPredicted, seed);
    if (!calibration) throw new Error(`${family.name}: holdout too small to calibrate`);
    const predicted = await result.model.predict(unseen);
    const mae = regressionMetrics(actual, predicted, { sampleSize: 0 }).mae;
    const line = [0.9, 0.8, 0.5, 0.95].map((level) => {
      const { coverage, meanRelativeWidth } = PriceRangeCalculator.coverage(
        calibration,
        actual,
        predicted,
        level,
      );
      if (level === 0.9 && (coverage < 0.88 || coverage > 0.92)) failed = true;
      if (level === 0.8 && (coverage < 0.78 || coverage > 0.82)) failed = true;
      return `${level * 100} %: coverage ${coverage.toFixed(4)}, mean width ${pct(meanRelativeWidth)}`;
    });
    console.log(
      `${family.name.padEnd(11)} unseen MAE ${mae.toFixed(2)} · ${line.join(' · ')} ` +
        `(trained in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    result.model.dispose();
  }
  if (failed) {
    console.log('Coverage outside the target bounds');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
