import { Module, OnModuleInit } from '@nestjs/common';
import { ModelRuntimeModule, PredictionThreads } from '../model-runtime/model-runtime.module';
import { DiamondsApiModule } from '../diamonds/diamonds-api.module';
import { RegistryModule } from '../registry/registry.module';
import { OutcomesModule } from '../outcomes/outcomes.module';
import { ChampionCache } from './champion-cache.service';
import { PredictionService } from './prediction.service';
import { PricesController } from './prices.controller';
import { SimilarDiamondsController } from './similar-diamonds.controller';

/** The public API: price diamonds with the champions in memory, find similar diamonds. */
@Module({
  imports: [DiamondsApiModule, RegistryModule, ModelRuntimeModule, OutcomesModule],
  controllers: [PricesController, SimilarDiamondsController],
  providers: [ChampionCache, PredictionService],
  exports: [ChampionCache],
})
export class PredictionModule implements OnModuleInit {
  constructor(private readonly threads: PredictionThreads) {}

  /** A serving instance starts its prediction threads now, not on its first large batch. */
  onModuleInit(): void {
    this.threads.start();
  }
}
