import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config';
import { AuditRepository } from './audit.repository';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes audit records older than AUDIT_RETENTION_DAYS (0 keeps everything), at the nightly
 * job's time (RETRAIN_CRON), whether or not retraining is enabled.
 */
@Injectable()
export class AuditRetentionService implements OnModuleInit {
  private readonly logger = new Logger(AuditRetentionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AuditRepository,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onModuleInit(): void {
    if (this.config.AUDIT_RETENTION_DAYS <= 0) return;
    const job = CronJob.from({
      cronTime: this.config.RETRAIN_CRON,
      onTick: () =>
        void this.purge().catch((err: Error) =>
          this.logger.error(`Audit retention failed: ${err.message}`),
        ),
      start: true,
    });
    this.scheduler.addCronJob('audit-retention', job);
  }

  /** Deletes what is past retention; returns how many records went. */
  async purge(now = new Date()): Promise<number> {
    if (this.config.AUDIT_RETENTION_DAYS <= 0) return 0;
    const cutoff = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    const deleted = await this.repository.deleteOlderThan(cutoff);
    if (deleted > 0)
      this.logger.log(`Deleted ${deleted} audit record(s) older than ${cutoff.toISOString()}`);
    return deleted;
  }
}
