import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { RegistryModule } from '../registry/registry.module';
import { BatchPriceCheckEntity } from './batch-check/batch-price-check.entity';
import { BatchPriceCheckRepository } from './batch-check/batch-price-check.repository';
import { BatchPriceCheckService } from './batch-check/batch-price-check.service';
import { BatchDriftEntity } from './drift/batch-drift.entity';
import { BatchDriftRepository } from './drift/batch-drift.repository';
import { BatchDriftService } from './drift/batch-drift.service';
import { ModelRuntimeModule } from '../model-runtime/model-runtime.module';
import { TrainingRunEntity } from './training-run.entity';
import { TrainingRunRepository } from './training-run.repository';
import { TrainingService } from './training.service';
import { TrainingProcess } from './training-process';

/**
 * The training pipeline, its runs and lock, batch drift, the price check of fresh batches. The API server's triggers (admin
 * endpoints, first start, the nightly job) are TrainingApiModule; the command line uses this one.
 */
@Module({
  imports: [
    DiamondsModule,
    RegistryModule,
    ModelRuntimeModule,
    TypeOrmModule.forFeature([BatchDriftEntity, BatchPriceCheckEntity, TrainingRunEntity]),
  ],
  providers: [
    TrainingService,
    TrainingRunRepository,
    BatchDriftRepository,
    BatchDriftService,
    TrainingProcess,
    BatchPriceCheckRepository,
    BatchPriceCheckService,
  ],
  exports: [TrainingService, TrainingRunRepository, BatchDriftService, BatchPriceCheckService],
})
export class TrainingModule {}
