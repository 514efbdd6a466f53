import { Test } from '@nestjs/testing';
import { LinearFamily } from './families/linear.family';
import {
  MODEL_FAMILY_PROVIDERS,
  ModelRuntimeModule,
  ModelFamilyRegistry,
} from './model-runtime.module';
import { UnknownModelFamilyError } from './model-family';

describe('ModelRuntimeModule', () => {
  it('registers every family provider in the registry', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ModelRuntimeModule] }).compile();
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

  it('refuses two families with one name', () => {
    expect(() => new ModelFamilyRegistry([new LinearFamily(), new LinearFamily()])).toThrow(
      'linear',
    );
  });
});
