import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TrainingApiModule } from '../training/training-api.module';
import { NightlyScheduler } from './nightly.scheduler';

/** The one nightly job of the API server (NightlyScheduler): audit upkeep, then retraining. */
@Module({
  imports: [AuditModule, TrainingApiModule],
  providers: [NightlyScheduler],
  exports: [NightlyScheduler],
})
export class NightlyModule {}
