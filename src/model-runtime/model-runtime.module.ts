import { Module, Type } from '@nestjs/common';
import { LinearFamily } from './families/linear.family';
import { ModelFamily } from './model-family';
import { MODEL_FAMILIES, ModelFamilyRegistry } from './model-family.registry';
import { XgboostBlendFamily } from './families/xgboost-blend.family';
import { XgboostLogFamily } from './families/xgboost-log.family';
import { XgboostFamily } from './families/xgboost.family';

export { MODEL_FAMILIES, ModelFamilyRegistry };

/** Every model family. A new family is one file implementing ModelFamily plus one entry here. */
export const MODEL_FAMILY_PROVIDERS: readonly Type<ModelFamily>[] = [
  LinearFamily,
  XgboostFamily,
  XgboostLogFamily,
  XgboostBlendFamily,
];

/**
 * Provides `ModelFamilyRegistry` to the training and prediction modules:
 * `imports: [ModelRuntimeModule]`, then inject `ModelFamilyRegistry`.
 */
@Module({
  providers: [
    ...MODEL_FAMILY_PROVIDERS,
    {
      provide: MODEL_FAMILIES,
      useFactory: (...families: ModelFamily[]) => families,
      inject: [...MODEL_FAMILY_PROVIDERS],
    },
    ModelFamilyRegistry,
  ],
  exports: [ModelFamilyRegistry],
})
export class ModelRuntimeModule {}
