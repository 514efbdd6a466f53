import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DiamondsApiModule } from './diamonds/diamonds-api.module';
import { RegistryApiModule } from './registry/registry-api.module';
import { TrainingApiModule } from './training/training-api.module';
import { PredictionModule } from './prediction/prediction.module';
import { OpsModule } from './ops/ops.module';
import { AuditModule } from './audit/audit.module';
import { VarDirModule } from './common/var-dir.module';
import { NightlyModule } from './nightly/nightly.module';

/**
 * The API server (main.ts, the e2e tests): the HTTP modules, the VAR_DIR lock, the audit trail,
 * the champions in memory and the nightly job. The command line is CliModule, on the same core.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        VarDirModule,
        DatabaseModule.forRoot(),
        ScheduleModule.forRoot(),
        DiamondsApiModule,
        RegistryApiModule,
        TrainingApiModule,
        PredictionModule,
        OpsModule,
        AuditModule,
        NightlyModule,
      ],
    };
  }
}
