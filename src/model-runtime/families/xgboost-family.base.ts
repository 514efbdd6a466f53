import { Logger, Optional } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { MedianPruner } from '../search/median-pruner';
import { EnqueuedSampler, TpeSampler } from '../search/samplers';
import { runSearch } from '../search/search-runner';
import { TrialParams, TrialRecord } from '../search/trial';
import { WorkerPool } from '../search/worker-pool';
import { sklearnSplitIndices } from '../split/sklearn-split';
import {
  checkRows,
  DEFAULT_TREE_FEATURE_SET,
  encodeTreeFeatures,
  foldDerivedEffects,
  isTreeFeatureSet,
  TREE_FEATURE_SETS,
  TreeFeatureSet,
  XGBOOST_FEATURES,
} from '../encoding/diamond-encoding';
import {
  fitMeasurementImputation,
  imputeMeasurements,
  MeasurementImputation,
} from '../encoding/measurement-imputer';
import { ArtifactHeader, decodeArtifact, encodeArtifact } from '../model-artifact';
import {
  FittedModel,
  InsufficientTrainingDataError,
  InvalidModelArtifactError,
  ModelDisposedError,
  ModelFamily,
  TrainOptions,
  TrainResult,
} from '../model-family';
import {
  XGBOOST_DEFAULT_PARAMS,
  XGBOOST_FIRST_TRIAL,
  XGBOOST_FIXED_PARAMS,
  XGBOOST_SEARCH_SPACE,
} from './xgboost-search-space';
import {
  meanOf,
  toTargetScale,
  toUsd,
  XgboostTarget,
  XgboostTaskSetup,
} from './xgboost-search.tasks';
import { PredictionThreads } from '../xgboost/prediction-threads';
import {
  Booster,
  DenseMatrix,
  loadXgboostRuntime,
  XGBOOST_MISSING,
} from '../xgboost/xgboost-runtime';
import { probeRows, XgboostTrees } from '../xgboost/xgboost-trees';
import { TreeShap } from '../xgboost/tree-shap';
import {
  Explanation,
  foldOnto,
  logAttributionToUsd,
  measurementSources,
  priceAttributionToUsd,
  toExplanation,
  UsdAttribution,
} from '../explanation/explanation';

/** Resolved by the worker: .ts under ts-node and jest, .js once built. */
const TASKS_MODULE = path.join(__dirname, 'xgboost-search.tasks');
const REQUIRED: readonly (keyof DiamondFeatures)[] = ['carat'];
const MIN_ROWS = 10;
/** Trial n is sampled from trials 0..n-2 (see runSearch's lag): two workers rarely wait. */
const SEARCH_LAG = 2;

interface XgboostHeader extends ArtifactHeader {
  family: string;
  target: XgboostTarget;
  /** Absent in artifacts written before derived features: those read `columns-v1`. */
  featureSet?: TreeFeatureSet;
  features: readonly string[];
  missing: number;
  /** Fills missing measurements before the trees see them (see MeasurementImputation). */
  imputation: MeasurementImputation;
  params: Record<string, unknown>;
}

function isImputation(value: unknown): value is MeasurementImputation {
  const candidate = value as MeasurementImputation | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    [
      candidate.xFromCarat?.intercept,
      candidate.xFromCarat?.slope,
      candidate.yOverX,
      candidate.zOverGirdle,
      candidate.depth,
      candidate.table,
    ].every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/** The feature set an artifact's header names; none names `columns-v1`, the nine columns. */
function headerFeatureSet(header: { featureSet?: unknown }): TreeFeatureSet | undefined {
  const named = header.featureSet ?? 'columns-v1';
  return isTreeFeatureSet(named) ? named : undefined;
}

/** Frees the booster of a model that was dropped without dispose(). */
const boosters = new FinalizationRegistry<Booster>((booster) => booster.free());
const PROBE_ROWS = 512;
const logger = new Logger('XgboostTrees');

/** What answers a model's predictions: its trees in JS, or the WebAssembly booster. */
type XgboostEvaluator = 'js-trees' | 'wasm-booster';

/**
 * The trees read from the model's bytes, if they answer bit for bit as XGBoost does on probe
 * rows that cross every split; otherwise undefined (the booster keeps answering, and a warning
 * says why).
 */
export function checkedTrees(
  bytes: Uint8Array,
  booster: Booster,
  family: string,
): XgboostTrees | undefined {
  try {
    const trees = XgboostTrees.fromModelBytes(bytes);
    const probe = probeRows(trees, PROBE_ROWS, XGBOOST_MISSING);
    const expected = booster.predict({ values: probe, rows: PROBE_ROWS, cols: booster.cols });
    const actual = trees.predict(probe, PROBE_ROWS, booster.cols, XGBOOST_MISSING);
    const differs = expected.findIndex((value, i) => !Object.is(value, actual[i]));
    if (differs === -1) return trees;
    logger.warn(
      `${family}: the JS trees disagree with XGBoost on probe row ${differs} (${actual[differs]} vs ${expected[differs]}); predicting with the WebAssembly booster`,
    );
  } catch (error) {
    logger.warn(`${family}: ${(error as Error).message}; predicting with the WebAssembly booster`);
  }
  return undefined;
}

/**
 * One trained XGBoost model. Prices rows in two steps that a blend calls apart: `encode` (the
 * imputation and the feature matrix; models with the same `encodingKey` read the same matrix)
 * and `predictEncoded`. A large, complete batch is shared with the prediction threads, if any.
 */
export class XgboostModel implements FittedModel {
  readonly params: Record<string, unknown>;
  /** Equal for models that encode rows the same way (same features and imputation). */
  readonly encodingKey: string;
  private readonly featureSet: TreeFeatureSet;
  private disposed = false;
  /** Read from the model's bytes on the first explanation. */
  private shap: TreeShap | undefined;

  /** With `trees`, the booster is already freed; without, it answers and is freed on dispose. */
  constructor(
    private readonly header: XgboostHeader,
    private readonly evaluate: XgboostTrees | Booster,
    private readonly modelBytes: Uint8Array,
    private readonly threads: PredictionThreads | undefined,
  ) {
    this.params = header.params;
    this.featureSet = headerFeatureSet(header) ?? 'columns-v1';
    this.encodingKey = JSON.stringify([header.features, header.imputation]);
    if (evaluate instanceof Booster) boosters.register(this, evaluate, this);
  }

  get family(): string {
    return this.header.family;
  }

  get evaluator(): XgboostEvaluator {
    return this.evaluate instanceof Booster ? 'wasm-booster' : 'js-trees';
  }

  async predict(rows: readonly DiamondFeatures[]): Promise<number[]> {
    return this.predictEncoded(this.encode(rows));
  }

  /** The rows as this model's feature matrix: required features checked, measurements imputed. */
  encode(rows: readonly DiamondFeatures[]): DenseMatrix {
    this.assertLive();
    checkRows(rows, REQUIRED, this.family);
    return encodeTreeFeatures(
      rows.map((row) => imputeMeasurements(row, this.header.imputation)),
      this.featureSet,
    );
  }

  async predictEncoded(matrix: DenseMatrix): Promise<number[]> {
    // Checked right before the booster is called, in the same synchronous stretch: a booster is
    // freed by dispose() and must never be called after.
    this.assertLive();
    const raw =
      this.evaluate instanceof Booster
        ? this.evaluate.predict(matrix)
        : await this.evaluate.predictAsync(
            matrix.values,
            matrix.rows,
            matrix.cols,
            XGBOOST_MISSING,
            this.threads?.parallelSum(),
          );
    return Array.from(raw, (value) => toUsd(value, this.header.target));
  }

  async explain(rows: readonly DiamondFeatures[]): Promise<Explanation[]> {
    const matrix = this.encode(rows);
    const prices = await this.predictEncoded(matrix);
    return (await this.attributeEncoded(rows, matrix, prices)).map((attribution, i) =>
      toExplanation(XGBOOST_FEATURES, rows[i], attribution),
    );
  }

  /**
   * Per row: tree SHAP on `matrix` (this model's encoding of `rows`), the effects of estimated
   * measurements folded onto the columns they were estimated from, mapped to USD against
   * `prices` (this model's answers for the rows). One effect per XGBOOST_FEATURES column.
   * A row of a large model takes milliseconds: the event loop gets a turn between rows, so a
   * batch explained does not stall the other requests.
   */
  async attributeEncoded(
    rows: readonly DiamondFeatures[],
    matrix: DenseMatrix,
    prices: readonly number[],
  ): Promise<UsdAttribution[]> {
    this.assertLive();
    // The raw trees are plain JS arrays: explaining goes on safely if the model is disposed.
    this.shap ??= TreeShap.fromModelBytes(this.modelBytes);
    const shap = this.shap;
    const out: UsdAttribution[] = [];
    for (let r = 0; r < rows.length; r++) {
      if (r > 0) await new Promise((resolve) => setImmediate(resolve));
      const { bias, phi } = shap.explainRow(matrix.values, r * matrix.cols, XGBOOST_MISSING);
      const sources = measurementSources(rows[r]);
      const folded = foldOnto(
        XGBOOST_FEATURES,
        foldDerivedEffects(phi, this.featureSet),
        (column) => sources[column],
      );
      out.push(
        this.header.target === 'log-price'
          ? logAttributionToUsd(bias, folded, prices[r])
          : priceAttributionToUsd(bias, folded, prices[r]),
      );
    }
    return out;
  }

  serialize(): Buffer {
    return encodeArtifact({ ...this.header }, this.modelBytes);
  }

  dispose(): void {
    this.disposed = true;
    if (this.evaluate instanceof Booster) {
      boosters.unregister(this);
      this.evaluate.free();
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new ModelDisposedError(this.family);
  }
}

/**
 * Gradient-boosted trees (XGBoost in WebAssembly) on the nine columns and the derived features of
 * the encoding (`derived-v1`; an artifact keeps the set it was fitted with), tuned by TPE with median
 * pruning over the notebook's Optuna space. Each trial fits on 80 % of the training rows and is
 * scored by MAE (USD) on the other 20 % (a seeded scikit-learn style split); the best parameters
 * are then refitted on all training rows. Subclasses choose the target scale.
 */
export abstract class XgboostFamilyBase implements ModelFamily {
  abstract readonly name: string;
  abstract readonly description: string;
  protected abstract readonly target: XgboostTarget;
  /** Where the search starts (enqueued as trials 0, 1, ...: each is tried before TPE samples). */
  protected readonly firstTrials: readonly TrialParams[] = [XGBOOST_FIRST_TRIAL];
  readonly features: readonly string[] = XGBOOST_FEATURES;
  readonly requiredFeatures = REQUIRED;
  readonly searchable = true;

  /** `threads` share a large batch's trees when predicting; without, one thread does it all. */
  constructor(@Optional() private readonly threads?: PredictionThreads) {}

  async train(
    rows: readonly PricedDiamond[],
    options: TrainOptions,
  ): Promise<TrainResult<XgboostModel>> {
    checkRows(rows, REQUIRED, this.name);
    if (rows.length < MIN_ROWS)
      throw new InsufficientTrainingDataError(this.name, rows.length, MIN_ROWS);
    for (const row of rows) {
      if (!(Number.isFinite(row.price) && row.price > 0)) {
        throw new RangeError(`Training prices must be positive numbers, got ${row.price}`);
      }
    }
    const seed = options.seed >>> 0;
    const trials = Math.max(0, Math.floor(options.trials));
    // A refit keeps the feature set its parameters were chosen with; a new fit takes the default.
    const requested = options.fixedParams?.feature_set ?? options.featureSet;
    if (requested !== undefined && !isTreeFeatureSet(requested)) {
      throw new RangeError(`Unknown tree feature set ${JSON.stringify(requested)}`);
    }
    const featureSet = requested ?? DEFAULT_TREE_FEATURE_SET;
    const setup = this.taskSetup(rows, seed, featureSet);
    const concurrency =
      trials > 0
        ? Math.max(1, Math.min(trials, Math.floor(options.concurrency ?? availableParallelism())))
        : 1;

    const pool = await WorkerPool.start({ tasksModule: TASKS_MODULE, setup, size: concurrency });
    let best: TrialParams = options.fixedParams
      ? (options.fixedParams as TrialParams)
      : XGBOOST_DEFAULT_PARAMS;
    let records: TrialRecord[] = [];
    let searchMs = 0;
    let bytes: Uint8Array;
    let fitMs: number;
    try {
      if (trials > 0 && !options.fixedParams) {
        const search = await runSearch({
          space: XGBOOST_SEARCH_SPACE,
          trials,
          executor: pool,
          sampler: new EnqueuedSampler(new TpeSampler({ seed }), this.firstTrials),
          pruner: new MedianPruner({ nStartupTrials: 5 }),
          onTrial: options.onTrial,
          // Fixed, not the worker count: the same seed gives the same search on any machine.
          lag: SEARCH_LAG,
        });
        records = search.trials;
        searchMs = search.wallMs;
        if (!search.best) {
          const failure = records.find((t) => t.error)?.error ?? 'no trial completed';
          throw new Error(`The ${this.name} search produced no model: ${failure}`);
        }
        best = search.best.params;
      }
      const fitStarted = performance.now();
      bytes = await pool.runTask<Uint8Array>('fit', best);
      fitMs = performance.now() - fitStarted;
    } finally {
      await pool.close();
    }

    const params: Record<string, unknown> = {
      ...best,
      ...XGBOOST_FIXED_PARAMS,
      target: this.target,
      feature_set: featureSet,
      base_score: meanOf(setup.fullLabels),
      seed,
    };
    const header: XgboostHeader = {
      family: this.name,
      target: this.target,
      featureSet,
      features: TREE_FEATURE_SETS[featureSet],
      missing: XGBOOST_MISSING,
      imputation: fitMeasurementImputation(rows),
      params,
    };
    const model = await this.materialize(header, bytes);
    return { model, params, trials: records, searchMs, fitMs };
  }

  async load(artifact: Buffer): Promise<XgboostModel> {
    const { header, body } = decodeArtifact(artifact, this.name);
    const candidate = header as unknown as XgboostHeader;
    const features = candidate.features;
    const featureSet = headerFeatureSet(candidate);
    if (
      candidate.target !== this.target ||
      candidate.missing !== XGBOOST_MISSING ||
      featureSet === undefined ||
      !Array.isArray(features) ||
      features.join() !== TREE_FEATURE_SETS[featureSet].join() ||
      typeof candidate.params !== 'object' ||
      !isImputation(candidate.imputation) ||
      body.length === 0
    ) {
      throw new InvalidModelArtifactError(
        `The ${this.name} artifact does not match this version's encoding`,
      );
    }
    return this.materialize(candidate, new Uint8Array(body));
  }

  private async materialize(header: XgboostHeader, bytes: Uint8Array): Promise<XgboostModel> {
    const runtime = await loadXgboostRuntime();
    const featureSet = headerFeatureSet(header) ?? 'columns-v1';
    const booster = runtime.loadBooster(bytes, TREE_FEATURE_SETS[featureSet].length);
    const trees = checkedTrees(bytes, booster, header.family);
    if (!trees) return new XgboostModel(header, booster, bytes, this.threads);
    booster.free();
    return new XgboostModel(header, trees, bytes, this.threads);
  }

  private taskSetup(
    rows: readonly PricedDiamond[],
    seed: number,
    featureSet: TreeFeatureSet,
  ): XgboostTaskSetup {
    const labelsOf = (subset: readonly PricedDiamond[]) =>
      Float32Array.from(subset, (row) => toTargetScale(row.price, this.target));
    const { trainIndices, testIndices } = sklearnSplitIndices(rows.length, {
      testSize: 0.2,
      randomState: seed,
    });
    const innerTrain = trainIndices.map((i) => rows[i]);
    const validation = testIndices.map((i) => rows[i]);
    return {
      target: this.target,
      seed,
      innerTrain: encodeTreeFeatures(innerTrain, featureSet),
      innerLabels: labelsOf(innerTrain),
      validation: encodeTreeFeatures(validation, featureSet),
      validationPrices: Float64Array.from(validation, (row) => row.price),
      full: encodeTreeFeatures(rows, featureSet),
      fullLabels: labelsOf(rows),
    };
  }
}
