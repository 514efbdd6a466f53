import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import {
  configurePredictionThreads,
  startPredictionThreads,
  stopPredictionThreads,
} from '../model-runtime/xgboost/prediction-threads';

/**
 * Sizes the worker threads that share a large batch's trees (PREDICTION_THREADS) and stops them
 * with the application. Idle, they do not keep the process alive.
 */
@Injectable()
export class PredictionThreadsLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    configurePredictionThreads(this.config.PREDICTION_THREADS);
    startPredictionThreads();
  }

  async onApplicationShutdown(): Promise<void> {
    await stopPredictionThreads();
  }
}
