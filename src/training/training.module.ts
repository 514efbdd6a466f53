import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { RegistryModule } from '../registry/registry.module';
import { BatchDriftEntity } from './drift/batch-drift.entity';
import { BatchDriftRepository } from './drift/batch-drift.repository';
import { BatchDriftService } from './drift/batch-drift.service';
import { DriftController } from './drift/drift.controller';
import { ModelRuntimeModule } from '../model-runtime/model-runtime.module';
import { TrainingRunsController } from './training-runs.controller';
import { TrainingRunEntity } from './training-run.entity';
import { TrainingRunRepository } from './training-run.repository';
import { TrainingScheduler } from './training.scheduler';
import { TrainingService } from './training.service';

/** The training pipeline, its triggers (nightly job, admin endpoint, first start, CLI) and the model families. */
@Module({
  imports: [
    DiamondsModule,
    RegistryModule,
    ModelRuntimeModule,
    TypeOrmModule.forFeature([BatchDriftEntity, TrainingRunEntity]),
  ],
  controllers: [TrainingRunsController, DriftController],
  providers: [
    TrainingService,
    TrainingRunRepository,
    TrainingScheduler,
    BatchDriftRepository,
    BatchDriftService,
  ],
  exports: [TrainingService, TrainingRunRepository, TrainingScheduler, BatchDriftService],
})
export class TrainingModule {}
