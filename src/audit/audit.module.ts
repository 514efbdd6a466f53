import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { VarDirLockHolder } from '../common/var-dir.module';
import { AppConfig } from '../config/app-config';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditQueryService } from './audit-query.service';
import { AuditRecorder } from './audit-recorder';
import { AuditPartitionRepository } from './audit-partition.repository';
import { AuditPartitionService } from './audit-partition.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditSpool } from './audit-spool';
import { AuditStatsService } from './audit-stats.service';
import { AuditWriter } from './audit-writer';
import { AuditWriterLifecycle } from './audit-writer.lifecycle';
import { AuditRecordEntity } from './entities/audit-record.entity';

const SPOOL_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * The audit trail: every API request and its response, recorded by AuditRecorder (hooked into
 * every request by configureApp) from the request's RequestContext, spooled to
 * VAR_DIR/audit-spool before the response leaves, and written to audit_record in batches.
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditRecordEntity])],
  controllers: [AuditController],
  providers: [
    AuditRepository,
    {
      provide: AuditWriter,
      // VarDirLockHolder: the spool is only opened by the process that holds VAR_DIR.
      inject: [AppConfig, AuditRepository, VarDirLockHolder],
      useFactory: (config: AppConfig, repository: AuditRepository) =>
        new AuditWriter(
          repository,
          new AuditSpool(join(config.VAR_DIR, 'audit-spool'), {
            segmentBytes: SPOOL_SEGMENT_BYTES,
            fsyncEachRecord: config.AUDIT_SPOOL_FSYNC,
            onSyncError: (err) =>
              new Logger(AuditSpool.name).error(
                `fdatasync of the audit spool failed (${err.message}): records written, not known to be on the disk`,
              ),
          }),
          {
            batchSize: config.AUDIT_BATCH_SIZE,
            flushIntervalMs: config.AUDIT_FLUSH_INTERVAL_MS,
            maxQueueBytes: config.AUDIT_QUEUE_MAX_BYTES,
          },
        ),
    },
    AuditWriterLifecycle,
    AuditRecorder,
    AuditQueryService,
    AuditStatsService,
    AuditPartitionRepository,
    AuditPartitionService,
    AuditRetentionService,
  ],
  exports: [AuditStatsService, AuditRecorder, AuditRetentionService, AuditPartitionService],
})
export class AuditModule {}
