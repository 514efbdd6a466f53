import { Injectable } from '@nestjs/common';
import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import { performance } from 'node:perf_hooks';
import { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { checkRows, encodeLinearRow, LINEAR_FEATURES } from '../encoding/diamond-encoding';
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

const FAMILY = 'linear';
const REQUIRED: readonly (keyof DiamondFeatures)[] = ['carat', 'x'];

interface LinearHeader extends ArtifactHeader {
  family: typeof FAMILY;
  target: 'log-price';
  columns: readonly string[];
}

/** exp(intercept + w · design): the notebook's best linear model, fitted on log(price). */
class LinearFittedModel implements FittedModel {
  readonly family = FAMILY;
  readonly params: Record<string, unknown>;
  private disposed = false;

  /** `weights`: one per design column, then the intercept. */
  constructor(private readonly weights: Float64Array) {
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

  serialize(): Buffer {
    const header: LinearHeader = { family: FAMILY, target: 'log-price', columns: LINEAR_FEATURES };
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
    const model = new LinearFittedModel(weights);
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
    return new LinearFittedModel(weights);
  }
}
