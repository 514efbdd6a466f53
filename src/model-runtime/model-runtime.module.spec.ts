import { Test } from '@nestjs/testing';
import { loadConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { XgboostFamily } from './families/xgboost.family';
import { LinearFamily } from './families/linear.family';
import {
  MODEL_FAMILY_PROVIDERS,
  ModelRuntimeModule,
  ModelFamilyRegistry,
  PredictionThreads,
} from './model-runtime.module';
import { UnknownModelFamilyError } from './model-family';

describe('ModelRuntimeModule', () => {
  it('registers every family provider in the registry', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(loadConfig()), ModelRuntimeModule],
    }).compile();
    const registry = moduleRef.get(ModelFamilyRegistry);
    expect(registry.list().map((family) => family.name)).toEqual([
      'linear',
      'xgboost',
      'xgboost-log',
      'xgboost-blend',
    ]);
    expect(registry.list()).toHaveLength(MODEL_FAMILY_PROVIDERS.length);
    expect(registry.get('linear')).toBeInstanceOf(LinearFamily);
    expect(registry.has('xgboost-log')).toBe(true);
    expect(registry.has('random-forest')).toBe(false);
    expect(() => registry.get('random-forest')).toThrow(UnknownModelFamilyError);
    await moduleRef.close();
  });

  it('gives the blend the registered part families and stops the prediction threads on close', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(loadConfig()), ModelRuntimeModule],
    }).compile();
    await moduleRef.init();
    const blend = moduleRef.get(ModelFamilyRegistry).get('xgboost-blend') as unknown as {
      priceFamily: unknown;
    };
    expect(blend.priceFamily).toBe(moduleRef.get(XgboostFamily));
    const threads = moduleRef.get(PredictionThreads);
    threads.start();
    await moduleRef.close();
    expect(threads.stats().threads).toBe(0);
  });

  it('refuses two families with one name', () => {
    expect(() => new ModelFamilyRegistry([new LinearFamily(), new LinearFamily()])).toThrow(
      'linear',
    );
  });
});
