import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondsService } from '../diamonds/diamonds.service';
import { MIN_TRAINING_ROWS, TrainingService } from './training.service';

export const NIGHTLY_JOB = 'nightly-retrain';

/**
 * The nightly job (RETRAIN_CRON, default 02:00): ingest the drop folder and retrain when the
 * data changed since the champions were trained (always, with RETRAIN_ALWAYS). Also, at start,
 * settles runs a crash left open and trains once when no champion exists yet.
 */
@Injectable()
export class TrainingScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrainingScheduler.name);

  constructor(
    private readonly config: AppConfig,
    private readonly training: TrainingService,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly diamonds: DiamondsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.training.recoverInterruptedRuns();
    if (this.config.RETRAIN_ENABLED) {
      const job = CronJob.from({
        cronTime: this.config.RETRAIN_CRON,
        onTick: () => void this.runNightly(),
        start: true,
      });
      this.schedulerRegistry.addCronJob(NIGHTLY_JOB, job);
      this.logger.log(
        `Nightly retraining scheduled: "${this.config.RETRAIN_CRON}"${this.config.RETRAIN_ALWAYS ? ' (always retrain)' : ' (when the data changed)'}`,
      );
    } else {
      this.logger.log('Nightly retraining is switched off (RETRAIN_ENABLED=false)');
    }
    if (this.config.TRAIN_ON_START) await this.trainIfNoChampion();
  }

  /** What the cron fires. Returns the run id, or null when another run is in progress. */
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
