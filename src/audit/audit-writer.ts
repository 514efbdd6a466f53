import { Logger } from '@nestjs/common';
import { AuditAppender } from './audit-appender';
import { AuditDrain, AuditSink } from './audit-drain';
import { AuditMemoryQueue } from './audit-memory-queue';
import type { AuditRecordData } from './audit-record';
import { AuditSpool } from './audit-spool';

export type { AuditSink };

interface AuditWriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  maxQueueBytes: number;
}

export interface AuditWriterStats {
  /** Records waiting to be written: in memory plus those known to wait in the spool only. */
  queueDepth: number;
  /** Bytes of the spool files on disk. */
  spoolBytes: number;
  /** Records the database confirmed since start (replays of already-written records included). */
  written: number;
  /** Batch inserts that failed (each is retried). */
  failedWrites: number;
  inMemory: number;
  inMemoryBytes: number;
  spoolSegments: number;
  /** Records lost: the spool could not be written and memory was full. */
  dropped: number;
  /** Spool write(2) failures (those records were in memory only, or lost: see dropped). */
  spoolAppendErrors: number;
  /** Spool fdatasync failures (the records are written but not known to be on the disk). */
  spoolSyncErrors: number;
  /** Spool lines that could not be read back (a torn last line after a power loss). */
  unreadable: number;
  /** Records the database refused for their data, kept in the spool folder's quarantine file. */
  quarantined: number;
  /** Records of an earlier run not written on replay: another replica answered their request. */
  answeredElsewhere: number;
  lastError: string | null;
  /** Age in seconds of the oldest record not yet in the database (0 when none waits). */
  writeLagSeconds: number;
}

/**
 * The audit trail's write-behind, in three owners: the spool (files, spill state, its own
 * errors), the appender (the request path: group commit, memory or disk only, drops) and the
 * drain (the database: batches, read-back, backoff, quarantine). This class wires them, starts
 * and stops them, and reports them as one; of its own it only knows whether it was started.
 */
export class AuditWriter {
  private readonly logger = new Logger(AuditWriter.name);
  private readonly queue: AuditMemoryQueue;
  private readonly appender: AuditAppender;
  private readonly database: AuditDrain;
  private started = false;

  constructor(
    sink: AuditSink,
    readonly spool: AuditSpool,
    options: AuditWriterOptions,
  ) {
    this.queue = new AuditMemoryQueue(options.maxQueueBytes);
    this.database = new AuditDrain(sink, spool, this.queue, options);
    this.appender = new AuditAppender(spool, this.queue, options.batchSize, () =>
      this.database.kick(),
    );
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const left = this.spool.open();
    if (left.records > 0)
      this.logger.warn(
        `Audit spool holds ${left.records} record(s) from an earlier run (${left.bytes} bytes); writing them`,
      );
    this.database.start(left.records > 0);
  }

  /** On the request path: see AuditAppender.record. */
  record(record: AuditRecordData): void {
    this.appender.record(record);
  }

  /** On the request path: see AuditAppender.recordThen. */
  recordThen(record: AuditRecordData, then: () => void): void {
    this.appender.recordThen(record, then);
  }

  stats(): AuditWriterStats {
    const database = this.database.stats();
    const spoolErrors = this.spool.errors();
    return {
      queueDepth: this.queue.length + this.spool.diskOnlyRecords(),
      spoolBytes: this.spool.bytes(),
      written: database.written,
      failedWrites: database.failedWrites,
      inMemory: this.queue.length,
      inMemoryBytes: this.queue.byteSize,
      spoolSegments: this.spool.segmentCount(),
      dropped: this.appender.droppedCount,
      spoolAppendErrors: spoolErrors.append,
      spoolSyncErrors: spoolErrors.sync,
      unreadable: database.unreadable,
      quarantined: database.quarantined,
      answeredElsewhere: database.answeredElsewhere,
      lastError: database.lastError,
      writeLagSeconds: this.database.writeLagSeconds(),
    };
  }

  /** True when nothing waits: memory empty and no segment to read back. */
  idle(): boolean {
    return (
      this.appender.pendingCount === 0 &&
      this.queue.length === 0 &&
      !this.spool.spilling &&
      this.spool.nextReplaySegment() === null &&
      !this.database.replaying
    );
  }

  /**
   * Writes until nothing waits or the time is up (used at shutdown and by tests).
   * Returns true when everything reached the database.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.database.settle();
      this.appender.flush();
      if (this.idle()) return true;
      if (!this.database.ready() || Date.now() >= deadline) return false;
      const progressed = await this.database.runBatch();
      if (!progressed)
        await sleep(Math.min(this.database.retryDelayMs || 50, Math.max(0, deadline - Date.now())));
    }
  }

  /** Stops the timer and closes the spool; whatever is still queued is in the spool for the next start. */
  stop(): void {
    this.appender.flush();
    this.database.stop();
    if (this.started) this.spool.close();
    this.started = false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
