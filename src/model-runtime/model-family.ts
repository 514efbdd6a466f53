import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures, PricedDiamond } from '../diamonds/diamond-vocabulary';
import { Explanation } from './explanation/explanation';
import { TrialRecord } from './search/trial';

export { TrialRecord };

export interface TrainOptions {
  /** Seeds the inner validation split, the sampler and the learner. */
  seed: number;
  /** Hyperparameter trials; 0 fits the family's defaults. Ignored by families that are not searchable. */
  trials: number;
  /** Trials run at once, each on its own worker thread. Default: the number of cores. */
  concurrency?: number;
  /** Called as each trial ends. */
  onTrial?: (trial: TrialRecord) => void;
  /**
   * Fit exactly these parameters (a previous result's `params`) instead of searching: how the
   * pipeline refits the parameters a search chose on more rows.
   */
  fixedParams?: Record<string, unknown>;
  /**
   * Tree families: the feature set to fit with (a TREE_FEATURE_SETS name; default the current
   * one). A `feature_set` in `fixedParams` wins, so a refit keeps the set it was chosen with.
   */
  featureSet?: string;
  /**
   * The parameters other families' searches chose earlier in the same run (fitted on the same
   * rows), by family name: a family made of other families' models (the blend) fits its parts
   * with them, so its parts are the output of a search.
   */
  searched?: Readonly<Record<string, Record<string, unknown>>>;
}

export interface FittedModel {
  readonly family: string;
  readonly params: Record<string, unknown>;
  /**
   * USD prices, one per row. Rejects with MissingFeatureError if a required feature is null, and
   * ModelDisposedError once disposed (also when disposed while a prediction was under way).
   * Asynchronous because a family may share a large batch with worker threads.
   */
  predict(rows: readonly DiamondFeatures[]): Promise<number[]>;
  /**
   * Why each price: per row, the price `predict` gives, the model's baseline and one effect per
   * column a person typed, all in USD, with `baseline + sum(effect) = price`. Exact in the
   * model's output space (tree SHAP; coefficient × difference from the training mean), then
   * mapped to USD (see explanation.ts). Rejects as `predict` does, and with
   * ExplanationUnavailableError when the artifact lacks what it needs.
   */
  explain(rows: readonly DiamondFeatures[]): Promise<Explanation[]>;
  /** An artifact `ModelFamily.load` turns back into a model predicting bit for bit the same. */
  serialize(): Buffer;
  /** Frees WebAssembly memory; idempotent. Predicting afterwards throws. */
  dispose(): void;
}

export interface TrainResult<M extends FittedModel = FittedModel> {
  model: M;
  params: Record<string, unknown>;
  /** Every search trial, by number; empty when nothing was searched. */
  trials: TrialRecord[];
  searchMs: number;
  /** Time of the final fit on all training rows. */
  fitMs: number;
}

export interface ModelFamily {
  /** 'linear' | 'xgboost' | 'xgboost-log' | ... */
  readonly name: string;
  /** One sentence for humans. */
  readonly description: string;
  /** Features the model reads. */
  readonly features: readonly string[];
  /** Must be non-null at prediction time; the other features may be missing. */
  readonly requiredFeatures: readonly (keyof DiamondFeatures)[];
  readonly searchable: boolean;
  train(rows: readonly PricedDiamond[], options: TrainOptions): Promise<TrainResult>;
  load(artifact: Buffer): Promise<FittedModel>;
}

export class MissingFeatureError extends DomainError {
  constructor(
    public readonly feature: string,
    public readonly family: string,
  ) {
    const message = `The ${family} model needs "${feature}", which is missing`;
    super(ErrorCode.MissingFeature, message, [
      { field: feature, rules: { requiredByModel: message } },
    ]);
    this.name = 'MissingFeatureError';
  }
}

export class InvalidFeatureError extends DomainError {
  constructor(
    public readonly feature: string,
    public readonly value: unknown,
    public readonly family: string,
  ) {
    const message = `The ${family} model cannot use ${JSON.stringify(value)} as "${feature}"`;
    super(ErrorCode.ValidationFailed, message, [
      { field: feature, rules: { acceptedByModel: message } },
    ]);
    this.name = 'InvalidFeatureError';
  }
}

export class UnknownModelFamilyError extends DomainError {
  constructor(
    public readonly family: string,
    public readonly known: readonly string[],
  ) {
    const message = `Unknown model family "${family}"; known families: ${known.join(', ')}`;
    super(ErrorCode.NotFound, message, [{ field: 'family', rules: { isKnownFamily: message } }]);
    this.name = 'UnknownModelFamilyError';
  }
}

export class InvalidModelArtifactError extends DomainError {
  constructor(message: string) {
    super(ErrorCode.ArtifactCorrupt, message);
    this.name = 'InvalidModelArtifactError';
  }
}

/** The model was disposed (e.g. replaced by a new champion) between lookup and use. */
export class ModelDisposedError extends DomainError {
  constructor(public readonly family: string) {
    super(ErrorCode.ModelUnavailable, `The ${family} model was disposed`);
    this.name = 'ModelDisposedError';
  }
}

/** The model cannot explain its prices (an artifact from before explanations existed). */
export class ExplanationUnavailableError extends DomainError {
  constructor(
    public readonly family: string,
    reason: string,
  ) {
    super(ErrorCode.Conflict, `The ${family} model cannot explain its prices: ${reason}`, [
      { field: 'explain', rules: { explainable: reason }, value: family },
    ]);
    this.name = 'ExplanationUnavailableError';
  }
}

export class InsufficientTrainingDataError extends DomainError {
  constructor(
    public readonly family: string,
    public readonly rows: number,
    public readonly needed: number,
  ) {
    super(
      ErrorCode.ValidationFailed,
      `The ${family} family needs at least ${needed} training rows, got ${rows}`,
      [
        {
          field: 'rows',
          rules: { minRows: `at least ${needed} training rows, got ${rows}` },
          value: rows,
        },
      ],
    );
    this.name = 'InsufficientTrainingDataError';
  }
}
