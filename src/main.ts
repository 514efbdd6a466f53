import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter } from './app.setup';
import { AppConfig, ConfigValidationError, loadConfig } from './config/app-config';
import { installLastResort } from './ops/last-resort';
import { PinoLoggerService } from './ops/pino-logger.service';
import { stopGracefullyOnSignals } from './ops/shutdown-drain';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(PinoLoggerService));
  installLastResort(app.get(PinoLoggerService).pino);
  await configureApp(app);
  // Every interface: Fastify alone would listen on localhost only.
  await app.listen(config.PORT, '0.0.0.0');
  stopGracefullyOnSignals(app);
  new Logger('Bootstrap').log(`Listening on http://localhost:${config.PORT} (API docs at /docs)`);
}

void bootstrap();
