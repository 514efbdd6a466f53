import { Module, OnApplicationShutdown, Type } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { LinearFamily } from './families/linear.family';
import { ModelFamily } from './model-family';
import { MODEL_FAMILIES, ModelFamilyRegistry } from './model-family.registry';
import { XgboostBlendFamily } from './families/xgboost-blend.family';
import { XgboostLogFamily } from './families/xgboost-log.family';
import { XgboostFamily } from './families/xgboost.family';
import { PredictionThreads } from './xgboost/prediction-threads';

export { MODEL_FAMILIES, ModelFamilyRegistry, PredictionThreads };

/** Every model family. A new family is one file implementing ModelFamily plus one entry here. */
export const MODEL_FAMILY_PROVIDERS: readonly Type<ModelFamily>[] = [
  LinearFamily,
  XgboostFamily,
  XgboostLogFamily,
  XgboostBlendFamily,
];

/**
 * The model runtime: the families (`ModelFamilyRegistry`) and the prediction threads they share
 * a large batch with (`PredictionThreads`, sized by PREDICTION_THREADS, started on the first
 * large prediction or by whoever serves prices, stopped here with the application).
 */
@Module({
  providers: [
    {
      provide: PredictionThreads,
      useFactory: (config: AppConfig) => new PredictionThreads(config.PREDICTION_THREADS),
      inject: [AppConfig],
    },
    ...MODEL_FAMILY_PROVIDERS,
    {
      provide: MODEL_FAMILIES,
      useFactory: (...families: ModelFamily[]) => families,
      inject: [...MODEL_FAMILY_PROVIDERS],
    },
    ModelFamilyRegistry,
  ],
  exports: [ModelFamilyRegistry, PredictionThreads],
})
export class ModelRuntimeModule implements OnApplicationShutdown {
  constructor(private readonly threads: PredictionThreads) {}

  async onApplicationShutdown(): Promise<void> {
    await this.threads.stop();
  }
}
