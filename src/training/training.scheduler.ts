import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondsService } from '../diamonds/diamonds.service';
import { MIN_TRAINING_ROWS, TrainingService } from './training.service';

/**
 * The server's training triggers besides the admin endpoint: at start, settles runs a crash
 * left open and trains once when no champion exists yet; at night (NightlyScheduler calls
 * runNightly), ingests the drop folder and retrains when the data changed since the champions
 * were trained (always, with RETRAIN_ALWAYS).
 */
@Injectable()
export class TrainingScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrainingScheduler.name);

  constructor(
    private readonly config: AppConfig,
    private readonly training: TrainingService,
    private readonly diamonds: DiamondsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.training.recoverInterruptedRuns();
    if (this.config.INSTANCE_ROLE === 'serve') {
      this.logger.log('This instance only serves (INSTANCE_ROLE=serve): it never trains');
      return;
    }
    if (this.config.TRAIN_ON_START) await this.trainIfNoChampion();
  }

  /** The nightly retraining. Returns the run id, or null when another run is in progress. */
  async runNightly(): Promise<number | null> {
    try {
      const { runId } = await this.training.startRun('schedule', {
        onlyIfDataChanged: true,
        actor: 'nightly job',
      });
      this.logger.log(`Nightly run ${runId} started`);
      return runId;
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.Conflict) {
        this.logger.warn(`Nightly run not started: ${err.message}`);
        return null;
      }
      this.logger.error(`Nightly run could not start: ${(err as Error).message}`);
      return null;
    }
  }

  /** First start on an empty registry: a quick training (FIRST_START_TRIALS) in the background. */
  async trainIfNoChampion(): Promise<number | null> {
    if (await this.training.anyChampion()) return null;
    const rows = await this.diamonds.countDiamonds();
    if (rows < MIN_TRAINING_ROWS) {
      this.logger.warn(
        `No model yet, and only ${rows} diamonds in the store: ingest data, then train (POST /v1/admin/training-runs or npm run train)`,
      );
      return null;
    }
    try {
      const { runId } = await this.training.startRun('first-start', {
        trials: this.config.FIRST_START_TRIALS,
        actor: 'first start',
      });
      this.logger.log(
        `No model yet: first-start training run ${runId} started (${this.config.FIRST_START_TRIALS} trials)`,
      );
      return runId;
    } catch (err) {
      this.logger.warn(`First-start training not started: ${(err as Error).message}`);
      return null;
    }
  }
}
