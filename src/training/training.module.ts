import { Module } from '@nestjs/common';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { RegistryModule } from '../registry/registry.module';
import { ModelFamiliesModule } from './families/families.module';
import { TrainingRunsController } from './training-runs.controller';
import { TrainingScheduler } from './training.scheduler';
import { TrainingService } from './training.service';

/** The training pipeline, its triggers (nightly job, admin endpoint, first start, CLI) and the model families. */
@Module({
  imports: [DiamondsModule, RegistryModule, ModelFamiliesModule],
  controllers: [TrainingRunsController],
  providers: [TrainingService, TrainingScheduler],
  exports: [TrainingService, TrainingScheduler],
})
export class TrainingModule {}
