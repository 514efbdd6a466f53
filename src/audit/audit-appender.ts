import { Logger } from '@nestjs/common';
import { AuditMemoryQueue } from './audit-memory-queue';
import type { AuditRecordData } from './audit-record';
import { AuditSpool } from './audit-spool';

/**
 * The request path of the audit trail: each record is appended to the spool (durable) and
 * queued in memory for the database, in group commit: the records handed over in one turn of
 * the event loop go to the spool in one write(2). When the memory queue is full, records go to
 * the spool only (the spool's spill state) and the drain reads them back later.
 */
export class AuditAppender {
  private readonly logger = new Logger(AuditAppender.name);
  /** Records of this event-loop turn waiting for their spool write (see recordThen). */
  private pending: { record: AuditRecordData; then: (() => void) | null }[] = [];
  /** Records lost: the spool could not be written and memory was full. */
  private dropped = 0;

  constructor(
    private readonly spool: AuditSpool,
    private readonly queue: AuditMemoryQueue,
    /** Told when a full batch waits in memory. */
    private readonly batchSize: number,
    private readonly onBatchReady: () => void,
  ) {}

  /** Durable when it returns (unless the disk failed, which is logged and counted). */
  record(record: AuditRecordData): void {
    this.pending.push({ record, then: null });
    this.flush();
  }

  /**
   * Group commit: the record is appended to the spool together with every other record handed
   * over in the same turn of the event loop, and `then` runs once it is there (or once the disk
   * failed, which is logged and counted). The recorder sends the response in `then`, so it still
   * leaves only after its record is spooled.
   */
  recordThen(record: AuditRecordData, then: () => void): void {
    this.pending.push({ record, then });
    if (this.pending.length === 1) setImmediate(this.flush);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Spools and queues the records waiting for their write, then lets their responses go. */
  readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const lines: string[] = new Array(batch.length);
    const fits: boolean[] = new Array(batch.length);
    let diskOnly = 0;
    let queueBytes = this.queue.byteSize;
    for (let i = 0; i < batch.length; i++) {
      const line = JSON.stringify(batch[i].record);
      lines[i] = line;
      const ok = !this.spool.spilling && queueBytes + line.length <= this.queue.maxBytes;
      if (!ok && !this.spool.spilling) {
        this.spool.startSpill();
        this.logger.warn(
          `Audit queue full (${queueBytes} bytes in memory): further records wait in the spool only`,
        );
      }
      fits[i] = ok;
      if (ok) queueBytes += line.length;
      else diskOnly++;
    }
    let segment = -1;
    try {
      segment = this.spool.appendLines(lines, diskOnly);
    } catch (err) {
      this.logger.error(`Could not append to the audit spool: ${(err as Error).message}`);
    }
    for (let i = 0; i < batch.length; i++) {
      if (fits[i])
        this.queue.push({
          record: batch[i].record,
          line: lines[i],
          segment,
          bytes: lines[i].length,
        });
      else if (segment < 0) this.dropped++;
    }
    if (this.queue.length >= this.batchSize) this.onBatchReady();
    for (const { then } of batch) {
      if (!then) continue;
      try {
        then();
      } catch (err) {
        this.logger.error(`A response after its audit record failed: ${(err as Error).message}`);
      }
    }
  };
}
