/**
 * Registers issue 10's default model as a candidate version of `xgboost-blend` (not promoted) in
 * the store the environment names: `BENCH_MODELS=default,issue-10-blend npm run bench:api` runs
 * it against the bench's own schema, so today's default and issue 10's blend price in the same
 * run. Also runnable alone beside a server (its DATABASE_URL, DATABASE_SCHEMA, ARTIFACTS_DIR):
 *   ts-node --transpile-only bench/issue-10-blend.ts
 *
 * Issue 10's blend: a 10/90 blend of XGBoost on price and XGBoost on log(price), two seeds of each
 * (42, 43), every part learning rate 0.03 × 1,000 rounds at depth 6 (subsample 0.8, colsample
 * 0.7: the searches' starting point of then) on the nine columns (`columns-v1`, no derived
 * features): 4 models, 4,000 trees a price. It is fitted by the family's own `train` with
 * `fixedParams` (no hand-built artifact) on the store's rows, as the pipeline fits a version: the
 * split model on the stable-hash split's training side (its holdout gives the metrics and the
 * range calibration), then the served model on every row; both registered as a candidate, so it
 * prices with a range like the default does. Prints `issue-10-blend <family> <version>` last.
 */
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '../src/config/app-config';
import { createCliContext } from '../src/cli/cli-runner';
import { DiamondsService } from '../src/diamonds/diamonds.service';
import { RegistryService } from '../src/registry/registry.service';
import { ModelFamilyRegistry } from '../src/model-runtime/model-runtime.module';
import { regressionMetrics } from '../src/model-runtime/evaluation';
import { computeTrainingRanges } from '../src/model-runtime/evaluation/training-ranges';
import { assessHoldout } from '../src/model-runtime/evaluation/holdout-assessment';
import { stableHashSplit } from '../src/model-runtime/split';
import { XGBOOST_FIRST_TRIAL } from '../src/model-runtime/families/xgboost-search-space';
import { codeVersion } from '../src/training/code-version';

/** Every part of issue 10's blend: the starting point of then, small steps, many rounds. */
const ISSUE_10_PART = {
  ...XGBOOST_FIRST_TRIAL,
  learning_rate: 0.03,
  n_estimators: 1000,
  max_depth: 6,
  feature_set: 'columns-v1',
};

/** The blend's `fixedParams`: 0.1 on price, 0.9 on log(price), seeds 42 and 43 of each. */
export const ISSUE_10_BLEND_PARAMS = {
  priceWeight: 0.1,
  seeds: [42, 43],
  price: ISSUE_10_PART,
  logPrice: ISSUE_10_PART,
  partsFrom: { price: 'fixed', logPrice: 'fixed' },
};

const FAMILY = 'xgboost-blend';
/** The pipeline's split (training.service.ts): stable hash, 20 % holdout, no salt. */
const SPLIT = { kind: 'stable-hash', testFraction: 0.2, salt: '' } as const;

/** Fits issue 10's blend on the store's rows and registers it as a candidate; its version. */
export async function registerIssue10Blend(
  app: INestApplicationContext,
  seed: number,
): Promise<{ family: string; version: number }> {
  const diamonds = app.get(DiamondsService);
  const registry = app.get(RegistryService);
  const family = app.get(ModelFamilyRegistry).get(FAMILY);
  const snapshot = await diamonds.snapshot();
  const split = stableHashSplit(snapshot.rows, SPLIT);
  const options = { seed, trials: 0, fixedParams: ISSUE_10_BLEND_PARAMS };
  const splitFit = await family.train(split.train, options);
  const refit = await family.train(snapshot.rows, options);
  try {
    const actual = split.test.map((r) => r.price);
    const predicted = await splitFit.model.predict(split.test);
    const metrics = regressionMetrics(actual, predicted);
    const { calibration, diagnostics } = await assessHoldout(
      splitFit.model,
      split.test,
      predicted,
      seed,
    );
    const entity = await registry.register(
      {
        family: FAMILY,
        trainingRunId: null,
        params: splitFit.params,
        metrics: {
          r2: metrics.r2,
          mae: metrics.mae,
          rmse: metrics.rmse,
          mape: metrics.mape,
          trainRows: split.train.length,
          holdoutRows: split.test.length,
        },
        holdoutSample: metrics.sample,
        trials: [],
        lineage: {
          batchIds: snapshot.batchIds,
          rowCount: snapshot.rowCount,
          contentHash: snapshot.contentHash,
          fittedOn: 'all-rows',
          fittedRows: snapshot.rows.length,
        },
        split: {
          ...SPLIT,
          seed,
          trainRows: split.train.length,
          holdoutRows: split.test.length,
        },
        seed,
        codeVersion: codeVersion(),
        fitMs: Math.round(splitFit.fitMs + refit.fitMs),
        searchMs: 0,
        comparison: null,
        trainingRanges: computeTrainingRanges(snapshot.rows),
        calibration,
        diagnostics,
      },
      refit.model,
      splitFit.model,
    );
    console.log(
      `registered issue 10's blend as ${FAMILY} v${entity.version} (candidate; holdout MAE ` +
        `${metrics.mae.toFixed(1)} on ${split.test.length} rows, fitted on ${snapshot.rows.length})`,
    );
    return { family: FAMILY, version: entity.version };
  } finally {
    splitFit.model.dispose();
    refit.model.dispose();
  }
}

async function main(): Promise<void> {
  // Beside a running server: no seeding, no first-start training of its own.
  const config = loadConfig({ ...process.env, SEED_ON_START: 'false', TRAIN_ON_START: 'false' });
  const app = await createCliContext(config);
  try {
    const { family, version } = await registerIssue10Blend(app, config.SEARCH_SEED);
    console.log(`issue-10-blend ${family} ${version}`);
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exitCode = 1;
  });
}
