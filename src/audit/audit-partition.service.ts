import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AuditPartitionRepository } from './audit-partition.repository';
import { expiredPartitions, missingRanges, PartitionInfo, wantedRanges } from './audit-partitions';

interface AuditPartitionStats {
  /** Partitions holding records (the default one left out); null on SQLite. */
  count: number;
  /** Epoch ms the oldest partition starts at (its oldest record for the legacy one). */
  oldestStart: number | null;
}

/**
 * Keeps the audit table's PostgreSQL partitions ahead of time: the current one and
 * AUDIT_PARTITIONS_AHEAD more, made at start and by the nightly job (NightlyScheduler), and
 * drops the ones retention is done with. A no-op on SQLite.
 */
@Injectable()
export class AuditPartitionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditPartitionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: AuditPartitionRepository,
  ) {}

  /** True on PostgreSQL (audit_record is partitioned there); the rest of this service is a no-op otherwise. */
  partitioned(): boolean {
    return this.repository.isPartitioned();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.repository.isPartitioned()) return;
    // Not fatal: the default partition takes the records until the nightly job or the next start.
    await this.ensureAhead().catch((err: Error) =>
      this.logger.error(`Audit partitions not made ahead at start: ${err.message}`),
    );
  }

  /** Creates the partitions missing from now to AUDIT_PARTITIONS_AHEAD intervals on; returns their names. */
  async ensureAhead(now = new Date()): Promise<string[]> {
    if (!this.repository.isPartitioned()) return [];
    const wanted = wantedRanges(
      now.getTime(),
      this.config.AUDIT_PARTITION_INTERVAL,
      this.config.AUDIT_PARTITIONS_AHEAD,
    );
    const created = await this.repository.create((existing) => missingRanges(wanted, existing));
    if (created.length > 0) this.logger.log(`Created audit partition(s) ${created.join(', ')}`);
    return created;
  }

  /** Drops every partition whose records are all older than the cutoff, and strays of the default partition past it. */
  async dropOlderThan(cutoff: Date): Promise<{ dropped: string[]; strays: number }> {
    if (!this.repository.isPartitioned()) return { dropped: [], strays: 0 };
    const expired = expiredPartitions(await this.repository.list(), cutoff.getTime()).map(
      (p) => p.name,
    );
    await this.repository.drop(expired);
    return { dropped: expired, strays: await this.repository.deleteDefaultOlderThan(cutoff) };
  }

  list(): Promise<PartitionInfo[]> {
    return this.repository.list();
  }

  /** For the metrics; null on SQLite. */
  async stats(): Promise<AuditPartitionStats | null> {
    if (!this.repository.isPartitioned()) return null;
    const partitions = await this.repository.list();
    return { count: partitions.length, oldestStart: await this.repository.oldestStart(partitions) };
  }
}
