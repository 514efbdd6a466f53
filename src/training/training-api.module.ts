import { Module } from '@nestjs/common';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { DriftController } from './drift/drift.controller';
import { TrainingRunsController } from './training-runs.controller';
import { TrainingModule } from './training.module';
import { TrainingScheduler } from './training.scheduler';

/**
 * The API server's side of training: the admin run and drift endpoints, and TrainingScheduler
 * (runs a crash left open settled at start, the first-start training, the nightly run).
 */
@Module({
  imports: [TrainingModule, DiamondsModule],
  controllers: [TrainingRunsController, DriftController],
  providers: [TrainingScheduler],
  exports: [TrainingModule, TrainingScheduler],
})
export class TrainingApiModule {}
