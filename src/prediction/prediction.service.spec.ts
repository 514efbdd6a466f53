import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import { ModelVersionInfo } from '../registry/model-catalog';
import {
  FittedModel,
  MissingFeatureError,
  ModelDisposedError,
} from '../model-runtime/model-family';
import { ChampionCache } from './champion-cache.service';
import { NO_CALIBRATION, PredictionService } from './prediction.service';
import { PriceRangeCalculator } from '../model-runtime/evaluation/price-range';

const row = (x: number | null): DiamondFeatures => ({
  carat: 0.5,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: null,
  table: null,
  x,
  y: null,
  z: null,
});
const info = { id: 1, family: 'linear', version: 2 } as ModelVersionInfo;
/** A model answering what `predict` computes from the rows. */
const model = (predict: (rows: readonly DiamondFeatures[]) => number[]) =>
  ({
    predict: async (rows: readonly DiamondFeatures[]) => predict(rows),
    dispose: () => undefined,
  }) as unknown as FittedModel;

describe('PredictionService', () => {
  it('rounds prices to the cent and names the model', async () => {
    const cache = {
      resolve: async () => ({ info, model: model((rows) => rows.map(() => 1234.5678)) }),
    } as unknown as ChampionCache;
    await expect(new PredictionService(cache).price([row(5)])).resolves.toEqual({
      prices: [1234.57],
      model: { family: 'linear', version: 2 },
      notes: [{ outsideTrainingRange: [], priceClamped: false }],
      ranges: null,
      rangeUnavailable: NO_CALIBRATION,
      explanations: null,
    });
  });

  it('gives each price its range at the level asked, holding the rounded price', async () => {
    const actual = Array.from({ length: 200 }, (_, i) => 1000 + i);
    const calibration = PriceRangeCalculator.calibrate(
      actual,
      actual.map((a, i) => a * (1 + ((i % 10) - 5) / 100)),
    );
    const cache = {
      resolve: async () => ({
        info: { ...info, calibration },
        model: model((rows) => rows.map((r) => r.carat * 1000)),
      }),
    } as unknown as ChampionCache;
    const service = new PredictionService(cache);
    const at90 = await service.price([row(5), { ...row(5), carat: 2 }]);
    const at50 = await service.price([row(5), { ...row(5), carat: 2 }], {}, undefined, 0.5);
    expect(at90.rangeUnavailable).toBeNull();
    expect(at90.ranges).toHaveLength(2);
    for (const [i, r] of at90.ranges!.entries()) {
      expect(r.level).toBe(0.9);
      expect(r.low).toBeLessThanOrEqual(at90.prices[i]);
      expect(r.high).toBeGreaterThanOrEqual(at90.prices[i]);
      expect(at50.ranges![i].high - at50.ranges![i].low).toBeLessThan(r.high - r.low);
    }
    // Relative ranges: the stone four times dearer gets a range four times wider.
    const width = (r: { low: number; high: number }) => r.high - r.low;
    expect(width(at90.ranges![1]) / width(at90.ranges![0])).toBeCloseTo(4, 1);
  });

  it('turns a missing feature into 400 MISSING_FEATURE naming the first row lacking it', async () => {
    const cache = {
      resolve: async () => ({
        info,
        model: model(() => {
          throw new MissingFeatureError('x', 'linear');
        }),
      }),
    } as unknown as ChampionCache;
    const err = await new PredictionService(cache)
      .price([row(5), row(6), row(null)], {}, (i, f) => `items.${i}.${f}`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(ErrorCode.MissingFeature);
    expect((err as DomainError).message).toMatch(
      /^items\.2\.x is required by the linear model \(v2\)/,
    );
    expect((err as DomainError).details).toEqual([
      { field: 'items.2.x', rules: { requiredByModel: (err as DomainError).message } },
    ]);
  });

  it('chooses again, once, when the model it got was disposed by a swap in between', async () => {
    let calls = 0;
    const cache = {
      resolve: async () => {
        calls++;
        const disposed = calls === 1;
        return {
          info: { ...info, version: calls },
          model: model((rows) => {
            if (disposed) throw new ModelDisposedError('linear');
            return rows.map(() => 10);
          }),
        };
      },
    } as unknown as ChampionCache;
    await expect(new PredictionService(cache).price([row(5)])).resolves.toEqual({
      prices: [10],
      model: { family: 'linear', version: 2 },
      notes: [{ outsideTrainingRange: [], priceClamped: false }],
      ranges: null,
      rangeUnavailable: NO_CALIBRATION,
      explanations: null,
    });
    expect(calls).toBe(2);
  });
});
