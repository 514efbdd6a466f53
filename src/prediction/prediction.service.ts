import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
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
}

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
  ): Promise<Pricing> {
    // A model swapped out between choosing it and using it is disposed: choose again, once.
    for (let attempt = 0; ; attempt++) {
      const { info, model } = await this.champions.resolve(selector.family, selector.version);
      try {
        const raw = model.predict(rows);
        return {
          prices: raw.map((p) => Math.round(p * 100) / 100),
          model: { family: info.family, version: info.version },
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
