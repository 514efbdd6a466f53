import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import { ModelVersionInfo } from '../registry/model-catalog';
import {
  FittedModel,
  MissingFeatureError,
  ModelDisposedError,
} from '../training/families/model-family';
import { ChampionCache } from './champion-cache.service';
import { PredictionService } from './prediction.service';

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
const model = (predict: FittedModel['predict']) =>
  ({ predict, dispose: () => undefined }) as unknown as FittedModel;

describe('PredictionService', () => {
  it('rounds prices to the cent and names the model', async () => {
    const cache = {
      resolve: async () => ({ info, model: model((rows) => rows.map(() => 1234.5678)) }),
    } as unknown as ChampionCache;
    await expect(new PredictionService(cache).price([row(5)])).resolves.toEqual({
      prices: [1234.57],
      model: { family: 'linear', version: 2 },
      notes: [{ outsideTrainingRange: [], priceClamped: false }],
    });
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
    });
    expect(calls).toBe(2);
  });
});
