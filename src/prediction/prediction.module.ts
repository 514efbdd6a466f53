import { Module } from '@nestjs/common';
import { DiamondsApiModule } from '../diamonds/diamonds-api.module';
import { RegistryModule } from '../registry/registry.module';
import { ChampionCache } from './champion-cache.service';
import { PredictionService } from './prediction.service';
import { PredictionThreadsLifecycle } from './prediction-threads.lifecycle';
import { PricesController } from './prices.controller';
import { SimilarDiamondsController } from './similar-diamonds.controller';

/** The public API: price diamonds with the champions in memory, find similar diamonds. */
@Module({
  imports: [DiamondsApiModule, RegistryModule],
  controllers: [PricesController, SimilarDiamondsController],
  providers: [ChampionCache, PredictionService, PredictionThreadsLifecycle],
  exports: [ChampionCache],
})
export class PredictionModule {}
