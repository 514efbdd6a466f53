import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AuditRepository } from './audit.repository';
import { AuditPartitionRepository } from './audit-partition.repository';
import { AuditPartitionService } from './audit-partition.service';

const DAY_MS = 24 * 60 * 60 * 1000;

interface AuditPurgeResult {
  /** PostgreSQL: partitions dropped whole (every record in them past retention). */
  partitionsDropped: string[];
  /** SQLite: records deleted one by one (PostgreSQL: strays deleted from the default partition). */
  rowsDeleted: number;
}

/**
 * Removes audit records older than AUDIT_RETENTION_DAYS (0 keeps everything), called by the
 * nightly job (NightlyScheduler), whether or not retraining is enabled. On PostgreSQL it drops whole
 * partitions, so a record is kept until every record of its partition is past retention (up to
 * one AUDIT_PARTITION_INTERVAL longer); on SQLite it deletes rows.
 */
@Injectable()
export class AuditRetentionService {
  private readonly logger = new Logger(AuditRetentionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AuditRepository,
    private readonly partitionRepository: AuditPartitionRepository,
    private readonly partitions: AuditPartitionService,
  ) {}

  /** Removes what is past retention. */
  async purge(now = new Date()): Promise<AuditPurgeResult> {
    if (this.config.AUDIT_RETENTION_DAYS <= 0) return { partitionsDropped: [], rowsDeleted: 0 };
    const cutoff = new Date(now.getTime() - this.config.AUDIT_RETENTION_DAYS * DAY_MS);
    if (this.partitionRepository.isPartitioned()) {
      const { dropped: partitionsDropped, strays } = await this.partitions.dropOlderThan(cutoff);
      if (partitionsDropped.length > 0)
        this.logger.log(
          `Dropped audit partition(s) ${partitionsDropped.join(', ')} (older than ${cutoff.toISOString()})`,
        );
      return { partitionsDropped, rowsDeleted: strays };
    }
    const deleted = await this.repository.deleteOlderThan(cutoff);
    if (deleted > 0)
      this.logger.log(`Deleted ${deleted} audit record(s) older than ${cutoff.toISOString()}`);
    return { partitionsDropped: [], rowsDeleted: deleted };
  }
}
