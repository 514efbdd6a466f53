import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditPartitionService, AuditPartitionStats } from '../audit/audit-partition.service';
import { AuditStatsService } from '../audit/audit-stats.service';
import { ModelCatalog } from '../registry/model-catalog';
import { BatchDriftService } from '../training/drift/batch-drift.service';
import { BatchDriftDto, toBatchDriftDto } from '../training/drift/drift.dto';

export interface AuditStats {
  queueDepth: number;
  spoolBytes: number;
  written: number;
  failedWrites: number;
  writeLagSeconds: number;
}

/**
 * Services of other modules that ops reads when they are part of the app. Looked up once the app
 * has booted (not injected) so ops works, and says what it misses, in an app built without them.
 */
@Injectable()
export class OptionalSources implements OnApplicationBootstrap {
  private readonly logger = new Logger(OptionalSources.name);
  private catalogRef: ModelCatalog | null = null;
  private auditRef: AuditStatsService | null = null;
  private partitionsRef: AuditPartitionService | null = null;
  private driftRef: BatchDriftService | null = null;

  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    this.catalogRef = this.find(ModelCatalog);
    if (!this.catalogRef)
      this.logger.warn('No model registry in this app: readiness does not check for a champion');
    this.driftRef = this.find(BatchDriftService);
    this.auditRef = this.find(AuditStatsService);
    this.partitionsRef = this.find(AuditPartitionService);
    if (!this.auditRef)
      this.logger.warn('No audit module in this app: no audit metrics or traffic chart');
  }

  /** The registry's read side, or null when the app has no registry. */
  catalog(): ModelCatalog | null {
    return this.catalogRef;
  }

  /** The latest batches' drift reports, newest first; null when the app has no training module. */
  async recentDrift(limit: number): Promise<BatchDriftDto[] | null> {
    return this.driftRef ? (await this.driftRef.latest(limit)).map(toBatchDriftDto) : null;
  }

  auditStats(): AuditStats | null {
    if (!this.auditRef) return null;
    const { queueDepth, spoolBytes, written, failedWrites, writeLagSeconds } =
      this.auditRef.stats();
    return { queueDepth, spoolBytes, written, failedWrites, writeLagSeconds };
  }

  /** The audit table's partitions (PostgreSQL); null on SQLite or without the audit module. */
  async auditPartitions(): Promise<AuditPartitionStats | null> {
    return this.partitionsRef ? this.partitionsRef.stats() : null;
  }

  /** Audit records since a date, by route and status; null when the app has no audit module. */
  async auditVolume(
    since: Date,
  ): Promise<{ route: string; status: number; count: number }[] | null> {
    return this.auditRef ? this.auditRef.volumeByRouteAndStatus(since) : null;
  }

  private find<T>(token: abstract new (...args: never[]) => T): T | null {
    try {
      return this.moduleRef.get(token, { strict: false });
    } catch {
      return null;
    }
  }
}
