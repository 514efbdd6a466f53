import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { ConfigValidationError } from '../config/app-config';

/**
 * Boots the application without HTTP, for command-line tools: no nightly job, no first-start
 * training, logs at warn level so the tool's own output stays readable.
 */
export async function createCliContext(): Promise<INestApplicationContext> {
  process.env.RETRAIN_ENABLED = 'false';
  process.env.TRAIN_ON_START = 'false';
  try {
    return await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
