import { Injectable } from '@nestjs/common';
import { DiamondFeatures, PricedDiamond } from '../../diamonds/diamond-vocabulary';
import { decodeArtifact, encodeArtifact } from '../model-artifact';
import {
  FittedModel,
  InvalidModelArtifactError,
  ModelDisposedError,
  ModelFamily,
  TrainOptions,
  TrainResult,
} from '../model-family';
import { XGBOOST_FEATURES } from '../encoding/diamond-encoding';
import { TrialParams } from '../search/trial';
import { XGBOOST_LOG_FIRST_TRIAL } from './xgboost-search-space';
import { XgboostModel } from './xgboost-family.base';
import { DenseMatrix } from '../xgboost/xgboost-runtime';
import {
  Explanation,
  toExplanation,
  UsdAttribution,
  weighAttributions,
} from '../explanation/explanation';
import { XgboostLogFamily } from './xgboost-log.family';
import { XgboostFamily } from './xgboost.family';

const FAMILY = 'xgboost-blend';
/**
 * Share of the price-scale models in the blend. 0: no price model is fitted, the default is the
 * log-price search's best averaged over BLEND_SEEDS seeds. With depth-5 log-price parts (two
 * seeds) and price parts of 0.1 × 300, on an 80/20 split of the bundled data (split seed 7):
 * weight 0 → holdout MAE 279.4, 0.1 with one price seed → 279.3, with two → 279.0; on the pool's
 * unseen rows (models fitted on the bundled file) 277.3, 277.2, 277.2: 0.1-0.4 USD for 300-600
 * more trees at every price asked, less than the spread between seeds. Earlier (depth-6 parts,
 * nine columns) 0.1 was served: 0 → 287.1, 0.1 → 287.2, 0.2 → 287.6 on the pipeline's holdout.
 */
export const BLEND_PRICE_WEIGHT = 0;
/**
 * Models per target, each with its own seed (row and column subsampling differ), averaged. Two:
 * the log-price model at depth 5 prices the pool's 25,858 unseen rows at MAE 279.1 with one seed
 * (1,000 trees a price), 277.3 with two (2,000), 276.9 with three (3,000); the feature recipe with
 * five seeds (5,000 trees) scores 278.7. See docs/benchmarks.md (issue 21).
 */
export const BLEND_SEEDS = 2;
/**
 * Every part's parameters when the run did not search its family: the log-price search's
 * starting point (learning rate 0.03 × 1,000 rounds, depth 5). Earlier, at depth 6, chosen by the
 * log-price model's MAE on the pipeline's holdout among five fixed points: 0.1 × 300 294.5,
 * 0.05 × 600 295.2, the same at depth 7 301.1 or depth 8 303.1, 0.03 × 1,000 288.3.
 */
export const BLEND_PART_PARAMS: TrialParams = XGBOOST_LOG_FIRST_TRIAL;

/**
 * What the dashboard and /v1/models say of a blend, from its settings (so a tuned constant never
 * leaves a stale sentence): `A 10/90 blend of XGBoost on price and XGBoost on log(price)…`.
 */
export function describeBlend(priceWeight: number, seeds: number, parts: TrialParams): string {
  if (priceWeight === 0) {
    return (
      `XGBoost on log(price) averaged over ${seeds} ${seeds === 1 ? 'seed' : 'seeds'}, with the ` +
      `parameters the xgboost-log search of the same run chose (without it: learning rate ` +
      `${parts.learning_rate}, ${parts.n_estimators} rounds, depth ${parts.max_depth}); it prices ` +
      `diamonds with missing measurements.`
    );
  }
  const price = Math.round(priceWeight * 100);
  return (
    `A ${price}/${100 - price} blend of XGBoost on price and XGBoost on log(price), each averaged ` +
    `over ${seeds} ${seeds === 1 ? 'seed' : 'seeds'}, with the parameters the xgboost and ` +
    `xgboost-log searches of the same run chose (without them: learning rate ` +
    `${parts.learning_rate}, ${parts.n_estimators} rounds); it prices diamonds with missing measurements.`
  );
}

interface BlendParams {
  priceWeight: number;
  seeds: number[];
  /** Absent when priceWeight is 0: no price model is fitted. */
  price?: Record<string, unknown>;
  logPrice: Record<string, unknown>;
  /** Where the parts' parameters came from: the run's searches, or BLEND_PART_PARAMS. */
  partsFrom?: { price?: 'search' | 'fixed'; logPrice: 'search' | 'fixed' };
}

interface BlendPart {
  weight: number;
  model: XgboostModel;
}

function isBlendParams(value: unknown): value is BlendParams {
  const candidate = value as BlendParams | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.priceWeight === 'number' &&
    Array.isArray(candidate.seeds) &&
    (candidate.priceWeight === 0 || typeof candidate.price === 'object') &&
    typeof candidate.logPrice === 'object'
  );
}

class BlendFittedModel implements FittedModel {
  readonly family = FAMILY;
  private disposed = false;

  constructor(
    private readonly parts: readonly BlendPart[],
    readonly params: Record<string, unknown> & BlendParams,
  ) {}

  /**
   * Every part's answer, weighed. Parts that encode rows the same way (all of them, fitted on the
   * same rows) share one encoded matrix; they are started together, so each part's worker share
   * runs while this thread computes the next part.
   */
  async predict(rows: readonly DiamondFeatures[]): Promise<number[]> {
    return this.weigh(await this.partAnswers(this.encoder(rows)));
  }

  /**
   * Each part explained in USD against its own answers, then weighed as the prices are: the
   * baseline is the parts' baselines weighed, each effect the parts' effects weighed, so they
   * add up to the blend's price.
   */
  async explain(rows: readonly DiamondFeatures[]): Promise<Explanation[]> {
    const encoded = this.encoder(rows);
    const answers = await this.partAnswers(encoded);
    const prices = this.weigh(answers);
    const attributions: UsdAttribution[][] = [];
    for (const [p, { model }] of this.parts.entries()) {
      attributions.push(await model.attributeEncoded(rows, encoded(model), answers[p]));
    }
    return rows.map((row, r) =>
      toExplanation(
        XGBOOST_FEATURES,
        row,
        weighAttributions(
          this.parts.map(({ weight }, p) => ({ weight, attribution: attributions[p][r] })),
          prices[r],
        ),
      ),
    );
  }

  /** Parts that encode rows the same way share one matrix, encoded on first use. */
  private encoder(rows: readonly DiamondFeatures[]): (part: XgboostModel) => DenseMatrix {
    if (this.disposed) throw new ModelDisposedError(FAMILY);
    const matrices = new Map<string, DenseMatrix>();
    return (part: XgboostModel): DenseMatrix => {
      let matrix = matrices.get(part.encodingKey);
      if (!matrix) matrices.set(part.encodingKey, (matrix = part.encode(rows)));
      return matrix;
    };
  }

  /** Started together, so each part's worker share runs while this thread computes the next. */
  private partAnswers(encoded: (part: XgboostModel) => DenseMatrix): Promise<number[][]> {
    return Promise.all(this.parts.map(({ model }) => model.predictEncoded(encoded(model))));
  }

  /** The weighted sum of the parts' answers, added part by part in order. */
  private weigh(answers: readonly number[][]): number[] {
    const out = new Array<number>(answers[0]?.length ?? 0).fill(0);
    this.parts.forEach(({ weight }, p) =>
      answers[p].forEach((value, i) => (out[i] += weight * value)),
    );
    return out;
  }

  serialize(): Buffer {
    const bodies = this.parts.map((part) => part.model.serialize());
    return encodeArtifact(
      {
        family: FAMILY,
        priceWeight: this.params.priceWeight,
        seeds: this.params.seeds,
        parts: this.parts.map((part, i) => ({
          family: part.model.family,
          weight: part.weight,
          bytes: bodies[i].length,
        })),
      },
      Buffer.concat(bodies),
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const part of this.parts) part.model.dispose();
  }
}

function disposeAll(parts: readonly BlendPart[]): void {
  for (const part of parts) part.model.dispose();
}

/**
 * XGBoost on log(price) averaged over BLEND_SEEDS seeds, optionally blended with XGBoost on price
 * (BLEND_PRICE_WEIGHT; 0 today: the log-price seeds alone). No search of its own: its parts take
 * the parameters the run's xgboost / xgboost-log searches chose on the same rows (without them
 * BLEND_PART_PARAMS), so the default is the output of a search; with `fixedParams` (a previous
 * blend's params, price parts and all) it refits exactly those.
 */
@Injectable()
export class XgboostBlendFamily implements ModelFamily {
  readonly name = FAMILY;
  readonly description = describeBlend(BLEND_PRICE_WEIGHT, BLEND_SEEDS, BLEND_PART_PARAMS);
  readonly features: readonly string[] = XGBOOST_FEATURES;
  readonly requiredFeatures = ['carat'] as const;
  readonly searchable = false;

  /** The families of its parts (injected, so they share the runtime's prediction threads). */
  constructor(
    private readonly priceFamily: XgboostFamily = new XgboostFamily(),
    private readonly logFamily: XgboostLogFamily = new XgboostLogFamily(),
  ) {}

  async train(rows: readonly PricedDiamond[], options: TrainOptions): Promise<TrainResult> {
    const fixed = isBlendParams(options.fixedParams) ? options.fixedParams : undefined;
    const priceWeight = fixed?.priceWeight ?? BLEND_PRICE_WEIGHT;
    const seeds =
      fixed?.seeds ?? Array.from({ length: BLEND_SEEDS }, (_, i) => (options.seed + i) >>> 0);
    // A new blend's parts take what the run's searches chose for their families (the same rows),
    // so the blend is the output of a search; a refit (fixedParams) keeps its parts' parameters.
    const withPrice = priceWeight > 0;
    const searchedPrice =
      fixed || !withPrice ? undefined : options.searched?.[this.priceFamily.name];
    const searchedLog = fixed ? undefined : options.searched?.[this.logFamily.name];
    const priceParams = fixed?.price ?? searchedPrice ?? BLEND_PART_PARAMS;
    const logParams = fixed?.logPrice ?? searchedLog ?? BLEND_PART_PARAMS;
    // Every part fits on its own worker thread: they run side by side. Per seed: the price model
    // (only with a positive weight), then the log-price model.
    const fits = seeds.flatMap((seed) => [
      ...(withPrice
        ? [this.priceFamily.train(rows, { seed, trials: 0, fixedParams: priceParams })]
        : []),
      this.logFamily.train(rows, { seed, trials: 0, fixedParams: logParams }),
    ]);
    const settled = await Promise.allSettled(fits);
    const fitted = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      for (const result of fitted) result.model.dispose();
      throw failure.reason;
    }
    const isPrice = (i: number) => withPrice && i % 2 === 0;
    const parts: BlendPart[] = fitted.map((result, i) => ({
      weight: (isPrice(i) ? priceWeight : 1 - priceWeight) / seeds.length,
      model: result.model,
    }));
    const fitMs = fitted.reduce((sum, result) => sum + result.fitMs, 0);
    const logPrice = fitted[withPrice ? 1 : 0].params;
    const logFrom = searchedLog ? 'search' : 'fixed';
    const params: Record<string, unknown> & BlendParams = withPrice
      ? {
          priceWeight,
          seeds,
          price: fitted[0].params,
          logPrice,
          partsFrom: fixed?.partsFrom ?? {
            price: searchedPrice ? 'search' : 'fixed',
            logPrice: logFrom,
          },
        }
      : { priceWeight, seeds, logPrice, partsFrom: fixed?.partsFrom ?? { logPrice: logFrom } };
    return {
      model: new BlendFittedModel(parts, params),
      params,
      trials: [],
      searchMs: 0,
      fitMs,
    };
  }

  async load(artifact: Buffer): Promise<FittedModel> {
    const { header, body } = decodeArtifact(artifact, FAMILY);
    const described = header.parts as { family?: unknown; weight?: unknown; bytes?: unknown }[];
    const valid =
      typeof header.priceWeight === 'number' &&
      Array.isArray(header.seeds) &&
      Array.isArray(described) &&
      described.length > 0 &&
      described.every(
        (part) =>
          (part.family === this.priceFamily.name || part.family === this.logFamily.name) &&
          typeof part.weight === 'number' &&
          Number.isInteger(part.bytes) &&
          (part.bytes as number) > 0,
      ) &&
      described.reduce((sum, part) => sum + (part.bytes as number), 0) === body.length;
    if (!valid)
      throw new InvalidModelArtifactError('The xgboost-blend artifact header is malformed');
    const parts: BlendPart[] = [];
    let offset = 0;
    try {
      for (const part of described) {
        const family = part.family === this.priceFamily.name ? this.priceFamily : this.logFamily;
        const bytes = body.subarray(offset, offset + (part.bytes as number));
        offset += part.bytes as number;
        parts.push({ weight: part.weight as number, model: await family.load(bytes) });
      }
    } catch (error) {
      disposeAll(parts);
      throw error;
    }
    const first = (name: string) => parts.find((p) => p.model.family === name)?.model.params;
    const price = first(this.priceFamily.name);
    return new BlendFittedModel(parts, {
      priceWeight: header.priceWeight as number,
      seeds: header.seeds as number[],
      ...(price ? { price } : {}),
      logPrice: first(this.logFamily.name) ?? {},
    });
  }
}
