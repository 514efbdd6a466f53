import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import {
  DEFAULT_RANGE_LEVEL,
  PriceRange,
  PriceRangeCalculator,
} from '../model-runtime/evaluation/price-range';
import {
  InvalidFeatureError,
  MissingFeatureError,
  ModelDisposedError,
} from '../model-runtime/model-family';
import {
  clampToBand,
  OutsideTrainingRange,
  outsideTrainingRanges,
  priceBand,
  TrainingRanges,
} from '../model-runtime/evaluation/training-ranges';
import { ServedExplanation, toServedExplanation } from '../model-runtime/explanation/explanation';
import { ChampionCache } from './champion-cache.service';

interface ModelRef {
  family: string;
  version: number;
}

/** Per diamond: where it lies outside what the model saw, and whether its price was clamped. */
interface PricingNote {
  outsideTrainingRange: OutsideTrainingRange[];
  /** The model's own answer left the band of its training prices and was held at its edge. */
  priceClamped: boolean;
}

export interface Pricing {
  /** USD, rounded to the cent, one per diamond in the order given. */
  prices: number[];
  model: ModelRef;
  /** One per diamond, in the same order. */
  notes: PricingNote[];
  /** One range per price at the level asked; null when the model has no calibration. */
  ranges: PriceRange[] | null;
  /** Why there is no range (null when there is one). */
  rangeUnavailable: string | null;
  /** One per diamond when asked (`explain`), against the price served; otherwise null. */
  explanations: ServedExplanation[] | null;
}

export const NO_CALIBRATION =
  'this model version has no range calibration (trained before price ranges existed, or on a holdout under 99 rows); retrain or choose another version';

/** Prices diamonds with the champion in memory, a family's champion, or a named version. */
@Injectable()
export class PredictionService {
  constructor(private readonly champions: ChampionCache) {}

  /**
   * `fieldOf(i, feature)` names a feature of row i as the caller sent it (`x`, `items.3.x`), so
   * that a feature the chosen model needs but did not get is reported against the right field.
   */
  async price(
    rows: readonly DiamondFeatures[],
    selector: { family?: string; version?: number } = {},
    fieldOf: (row: number, feature: string) => string = (_, f) => f,
    level: number = DEFAULT_RANGE_LEVEL,
    explain = false,
  ): Promise<Pricing> {
    // A model swapped out between choosing it and using it is disposed: choose again, once.
    for (let attempt = 0; ; attempt++) {
      const { info, model } = await this.champions.resolve(selector.family, selector.version);
      try {
        const explained = explain ? await model.explain(rows) : null;
        const raw = explained ? explained.map((e) => e.price) : await model.predict(rows);
        const { prices, notes, held } = guardPrices(rows, raw, info.trainingRanges ?? null);
        const calibration = info.calibration;
        return {
          prices,
          model: { family: info.family, version: info.version },
          notes,
          // Around the price served (held in the training band), so low <= price <= high always.
          ranges: calibration
            ? prices.map((p) => PriceRangeCalculator.range(calibration, p, level))
            : null,
          rangeUnavailable: calibration ? null : NO_CALIBRATION,
          // Against the unrounded price held in the band: the clamp line, then whole cents.
          explanations: explained
            ? explained.map((e, i) =>
                toServedExplanation(
                  e,
                  { price: held[i], clamped: notes[i].priceClamped },
                  prices[i],
                ),
              )
            : null,
        };
      } catch (err) {
        if (err instanceof ModelDisposedError && attempt === 0) continue;
        throw this.toDomainError(err, rows, fieldOf, info.family, info.version);
      }
    }
  }

  private toDomainError(
    err: unknown,
    rows: readonly DiamondFeatures[],
    fieldOf: (row: number, feature: string) => string,
    family: string,
    version: number,
  ): unknown {
    if (err instanceof MissingFeatureError) {
      const row = Math.max(
        0,
        rows.findIndex(
          (r) =>
            r[err.feature as keyof DiamondFeatures] === null ||
            r[err.feature as keyof DiamondFeatures] === undefined,
        ),
      );
      const field = fieldOf(row, err.feature);
      const message =
        `${field} is required by the ${family} model (v${version}) that was asked to price this diamond: ` +
        `send ${err.feature}, or choose a model that accepts it missing (e.g. "model": { "family": "xgboost" })`;
      return new DomainError(ErrorCode.MissingFeature, message, [
        { field, rules: { requiredByModel: message } },
      ]);
    }
    if (err instanceof InvalidFeatureError) {
      const message = `${err.feature} cannot be ${JSON.stringify(err.value)} for the ${family} model`;
      return new DomainError(ErrorCode.ValidationFailed, message, [
        { field: err.feature, rules: { acceptedByModel: message } },
      ]);
    }
    return err;
  }
}

/**
 * Warn, don't refuse: every diamond the API accepts gets a price, flagged per field where it lies
 * outside the training ranges, and never outside the band of the training prices (clamped, said
 * so). Versions trained before ranges were kept (null) are answered as before.
 */
function guardPrices(
  rows: readonly DiamondFeatures[],
  raw: readonly number[],
  ranges: TrainingRanges | null,
): { prices: number[]; notes: PricingNote[]; held: number[] } {
  const band = ranges ? priceBand(ranges) : null;
  const notes: PricingNote[] = [];
  const held: number[] = [];
  const prices = raw.map((p, i) => {
    const outside = ranges ? outsideTrainingRanges(rows[i], ranges) : [];
    const guarded = band ? clampToBand(p, band) : { price: p, clamped: false };
    notes.push({ outsideTrainingRange: outside, priceClamped: guarded.clamped });
    held.push(guarded.price);
    return Math.round(guarded.price * 100) / 100;
  });
  return { prices, notes, held };
}
