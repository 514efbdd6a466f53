import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import {
  DEFAULT_RANGE_LEVEL,
  PriceRange,
  PriceRangeCalculator,
} from '../training/evaluation/price-range';
import {
  InvalidFeatureError,
  MissingFeatureError,
  ModelDisposedError,
} from '../training/families/model-family';
import { ChampionCache } from './champion-cache.service';

export interface ModelRef {
  family: string;
  version: number;
}

export interface Pricing {
  /** USD, rounded to the cent, one per diamond in the order given. */
  prices: number[];
  model: ModelRef;
  /** One range per price at the level asked; null when the model has no calibration. */
  ranges: PriceRange[] | null;
  /** Why there is no range (null when there is one). */
  rangeUnavailable: string | null;
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
  ): Promise<Pricing> {
    // A model swapped out between choosing it and using it is disposed: choose again, once.
    for (let attempt = 0; ; attempt++) {
      const { info, model } = await this.champions.resolve(selector.family, selector.version);
      try {
        const raw = model.predict(rows);
        const calibration = info.calibration;
        return {
          prices: raw.map((p) => Math.round(p * 100) / 100),
          model: { family: info.family, version: info.version },
          ranges: calibration
            ? raw.map((p) => PriceRangeCalculator.range(calibration, p, level))
            : null,
          rangeUnavailable: calibration ? null : NO_CALIBRATION,
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
