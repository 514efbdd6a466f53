import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { ModelRuntimeModule } from '../model-runtime/model-runtime.module';
import { RegistryModule } from '../registry/registry.module';
import { TrainingModule } from '../training/training.module';

/**
 * The command line's root module: the same core as the API server (config, database, diamonds,
 * registry, model families, training) and nothing of the server's: no HTTP, no VAR_DIR lock, no
 * audit writer, no prediction threads, no champion polling, no nightly job. So it runs beside a
 * serving instance, on the same settings and database; the server sees what it did by the polling
 * it already does (moved champions, the dataset version).
 */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ connectAttempts: 1 }),
        DiamondsModule,
        RegistryModule,
        ModelRuntimeModule,
        TrainingModule,
      ],
    };
  }
}
