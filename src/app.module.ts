import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DiamondsModule } from './diamonds/diamonds.module';
import { RegistryModule } from './registry/registry.module';
import { TrainingModule } from './training/training.module';
import { PredictionModule } from './prediction/prediction.module';
import { OpsModule } from './ops/ops.module';
import { AuditModule } from './audit/audit.module';
import { VarDirModule } from './common/var-dir.module';

@Module({
  imports: [
    ConfigModule,
    VarDirModule,
    DatabaseModule,
    ScheduleModule.forRoot(),
    DiamondsModule,
    RegistryModule,
    TrainingModule,
    PredictionModule,
    OpsModule,
    AuditModule,
  ],
})
export class AppModule {}
