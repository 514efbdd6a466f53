import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config';
import { AuditPartitionService } from '../audit/audit-partition.service';
import { AuditRetentionService } from '../audit/audit-retention.service';
import { TrainingScheduler } from '../training/training.scheduler';

export const NIGHTLY_JOB = 'nightly';

/** What one night did: each task's result, or why it did not run. */
interface NightlyReport {
  /** PostgreSQL: audit partitions made ahead (null on SQLite or when the task failed). */
  partitionsCreated: string[] | null;
  /** Audit records past AUDIT_RETENTION_DAYS removed (null when retention is off or failed). */
  retention: { partitionsDropped: string[]; rowsDeleted: number } | null;
  /** The retraining run started (null when RETRAIN_ENABLED=false, INSTANCE_ROLE=serve, a run was in progress, or it failed to start). */
  trainingRunId: number | null;
}

/**
 * The one nightly job, at RETRAIN_CRON: audit partitions made ahead (PostgreSQL), audit records
 * past retention removed (AUDIT_RETENTION_DAYS > 0), then the drop folder ingested and the models
 * retrained when the data changed (RETRAIN_ENABLED). A task that fails is logged and the others
 * still run. Scheduled only when one of them has something to do.
 */
@Injectable()
export class NightlyScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(NightlyScheduler.name);

  constructor(
    private readonly config: AppConfig,
    private readonly schedulerRegistry: SchedulerRegistry,
    private readonly training: TrainingScheduler,
    private readonly partitions: AuditPartitionService,
    private readonly retention: AuditRetentionService,
  ) {}

  onApplicationBootstrap(): void {
    const retrain = this.retrains();
    const tasks = [
      this.partitions.partitioned() ? 'audit partitions' : null,
      this.config.AUDIT_RETENTION_DAYS > 0
        ? `audit retention (${this.config.AUDIT_RETENTION_DAYS} days)`
        : null,
      retrain
        ? `retraining ${this.config.RETRAIN_ALWAYS ? '(always)' : '(when the data changed)'}`
        : null,
    ].filter((t): t is string => t !== null);
    if (!retrain)
      this.logger.log(
        this.config.RETRAIN_ENABLED
          ? 'No nightly retraining here: this instance only serves (INSTANCE_ROLE=serve)'
          : 'Nightly retraining is switched off (RETRAIN_ENABLED=false)',
      );
    if (tasks.length === 0) return;
    const job = CronJob.from({
      cronTime: this.config.RETRAIN_CRON,
      onTick: () => void this.runNightly(),
      start: true,
    });
    this.schedulerRegistry.addCronJob(NIGHTLY_JOB, job);
    this.logger.log(`Nightly job scheduled at "${this.config.RETRAIN_CRON}": ${tasks.join(', ')}`);
  }

  /** What the cron fires; also callable by hand (tests). Never throws. */
  async runNightly(now = new Date()): Promise<NightlyReport> {
    const report: NightlyReport = { partitionsCreated: null, retention: null, trainingRunId: null };
    if (this.partitions.partitioned())
      report.partitionsCreated = await this.task('Audit partitions not made ahead', () =>
        this.partitions.ensureAhead(now),
      );
    if (this.config.AUDIT_RETENTION_DAYS > 0)
      report.retention = await this.task('Audit retention failed', () => this.retention.purge(now));
    if (this.retrains())
      report.trainingRunId = await this.task('Nightly run could not start', () =>
        this.training.runNightly(),
      );
    return report;
  }

  /** Retraining is on (RETRAIN_ENABLED) and this instance trains (INSTANCE_ROLE is not serve). */
  private retrains(): boolean {
    return this.config.RETRAIN_ENABLED && this.config.INSTANCE_ROLE !== 'serve';
  }

  private async task<T>(failure: string, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (err) {
      this.logger.error(`${failure}: ${(err as Error).message}`);
      return null;
    }
  }
}
