import { Injectable } from '@nestjs/common';
import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import { performance } from 'node:perf_hooks';
import { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { checkRows, encodeLinearRow, LINEAR_FEATURES } from '../encoding/diamond-encoding';
import { ArtifactHeader, decodeArtifact, encodeArtifact } from '../model-artifact';
import {
  Explanation,
  logAttributionToUsd,
  toExplanation,
  TypedColumn,
} from '../explanation/explanation';
import {
  ExplanationUnavailableError,
  FittedModel,
  InsufficientTrainingDataError,
  InvalidModelArtifactError,
  ModelDisposedError,
  ModelFamily,
  TrainOptions,
  TrainResult,
} from '../model-family';

const FAMILY = 'linear';
const REQUIRED: readonly (keyof DiamondFeatures)[] = ['carat', 'x'];

interface LinearHeader extends ArtifactHeader {
  family: typeof FAMILY;
  target: 'log-price';
  columns: readonly string[];
  /**
   * Each design column's mean over the training rows, what an explanation measures from.
   * Absent in artifacts from before explanations: those models price as before and refuse
   * to explain (ExplanationUnavailableError).
   */
  means?: readonly number[];
}

/** The columns a person typed that the linear model reads: one-hot columns fold onto theirs. */
const LINEAR_TYPED: readonly TypedColumn[] = ['carat', 'cut', 'color', 'clarity', 'x'];
const TYPED_INDEX = LINEAR_FEATURES.map((column) =>
  LINEAR_TYPED.indexOf(column.split('_')[0] as TypedColumn),
);

function isMeans(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.length === LINEAR_FEATURES.length &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

/** exp(intercept + w · design): the notebook's best linear model, fitted on log(price). */
class LinearFittedModel implements FittedModel {
  readonly family = FAMILY;
  readonly params: Record<string, unknown>;
  private disposed = false;

  /** `weights`: one per design column, then the intercept; `means`: per design column, or null. */
  constructor(
    private readonly weights: Float64Array,
    private readonly means: readonly number[] | null,
  ) {
    const coefficients: Record<string, number> = {};
    LINEAR_FEATURES.forEach((column, i) => (coefficients[column] = weights[i]));
    this.params = { target: 'log-price', intercept: weights[LINEAR_FEATURES.length], coefficients };
  }

  async predict(rows: readonly DiamondFeatures[]): Promise<number[]> {
    if (this.disposed) throw new ModelDisposedError(FAMILY);
    checkRows(rows, REQUIRED, FAMILY);
    const intercept = this.weights[LINEAR_FEATURES.length];
    return rows.map((row) => {
      const design = encodeLinearRow(row);
      let logPrice = intercept;
      for (let i = 0; i < design.length; i++) logPrice += this.weights[i] * design[i];
      return Math.exp(logPrice);
    });
  }

  /**
   * In log space the model is additive: column j adds w_j × (value_j − training mean_j) to the
   * baseline intercept + w · means; the one-hot columns of a grade add up onto that grade.
   */
  async explain(rows: readonly DiamondFeatures[]): Promise<Explanation[]> {
    const means = this.means;
    if (!means) {
      throw new ExplanationUnavailableError(
        FAMILY,
        'this version was trained before explanations existed (its artifact has no training means); retrain or choose another version',
      );
    }
    const prices = await this.predict(rows);
    const intercept = this.weights[LINEAR_FEATURES.length];
    const bias = means.reduce((sum, mean, j) => sum + this.weights[j] * mean, intercept);
    return rows.map((row, r) => {
      const design = encodeLinearRow(row);
      const phi = new Float64Array(LINEAR_TYPED.length);
      design.forEach((value, j) => (phi[TYPED_INDEX[j]] += this.weights[j] * (value - means[j])));
      return toExplanation(LINEAR_TYPED, row, logAttributionToUsd(bias, phi, prices[r]));
    });
  }

  serialize(): Buffer {
    const header: LinearHeader = {
      family: FAMILY,
      target: 'log-price',
      columns: LINEAR_FEATURES,
      ...(this.means ? { means: this.means } : {}),
    };
    return encodeArtifact(header, new Uint8Array(this.weights.buffer.slice(0)));
  }

  dispose(): void {
    this.disposed = true;
  }
}

@Injectable()
export class LinearFamily implements ModelFamily {
  readonly name = FAMILY;
  readonly description =
    'Least squares on log(price) from carat, length (x) and one-hot cut, color and clarity; fast and explainable, less accurate than the tree models.';
  readonly features: readonly string[] = ['carat', 'x', 'cut', 'color', 'clarity'];
  readonly requiredFeatures = REQUIRED;
  readonly searchable = false;

  async train(rows: readonly PricedDiamond[], _options: TrainOptions): Promise<TrainResult> {
    checkRows(rows, REQUIRED, FAMILY);
    const needed = LINEAR_FEATURES.length + 2;
    if (rows.length < needed) throw new InsufficientTrainingDataError(FAMILY, rows.length, needed);
    const started = performance.now();
    const design = rows.map(encodeLinearRow);
    const target = rows.map((row) => {
      if (!(row.price > 0))
        throw new RangeError(
          `The linear family fits log(price): price must be > 0, got ${row.price}`,
        );
      return [Math.log(row.price)];
    });
    const regression = new MultivariateLinearRegression(design, target, {
      intercept: true,
      statistics: false,
    });
    const weights = Float64Array.from(regression.weights.map((w) => w[0]));
    const fitMs = performance.now() - started;
    const means = LINEAR_FEATURES.map(
      (_, j) => design.reduce((sum, columns) => sum + columns[j], 0) / design.length,
    );
    const model = new LinearFittedModel(weights, means);
    return { model, params: model.params, trials: [], searchMs: 0, fitMs };
  }

  async load(artifact: Buffer): Promise<FittedModel> {
    const { header, body } = decodeArtifact(artifact, FAMILY);
    const columns = header.columns;
    if (
      !Array.isArray(columns) ||
      columns.length !== LINEAR_FEATURES.length ||
      columns.some((column, i) => column !== LINEAR_FEATURES[i]) ||
      body.length !== (LINEAR_FEATURES.length + 1) * 8
    ) {
      throw new InvalidModelArtifactError(
        'The linear artifact does not match this version’s design columns',
      );
    }
    const weights = new Float64Array(LINEAR_FEATURES.length + 1);
    new Uint8Array(weights.buffer).set(body);
    return new LinearFittedModel(weights, isMeans(header.means) ? header.means : null);
  }
}
