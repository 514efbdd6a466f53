import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/**
 * Provides the AppConfig to every module. The entry point (main.ts, the command line, the test
 * app) reads and validates the environment once, with loadConfig(), and hands the result here.
 */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
