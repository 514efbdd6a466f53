import { Logger } from '@nestjs/common';
import type { AuditRecordData } from './audit-record';
import { AuditSpool } from './audit-spool';

/** Where batches go: the repository in the app, a fake in unit specs. */
export interface AuditSink {
  /**
   * Inserts the records, skipping any id already present (a replay). `lines`, when given, are
   * the records' spool lines (their JSON, in the same order), which a sink may send as they are.
   */
  insertIgnore(records: AuditRecordData[], lines?: string[]): Promise<void>;
  /** False once the database connection is closed for good (shutdown). */
  ready(): boolean;
  /** The database answered and refused the data itself (retrying the same rows cannot help). */
  isPermanentError?(err: unknown): boolean;
}

export interface AuditWriterOptions {
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
  /** Spool lines that could not be read back (a torn last line after a power loss). */
  unreadable: number;
  /** Records the database refused for their data, kept in the spool folder's quarantine file. */
  quarantined: number;
  lastError: string | null;
  /** Age in seconds of the oldest record not yet in the database (0 when none waits). */
  writeLagSeconds: number;
}

interface Entry {
  record: AuditRecordData;
  /** The record's spool line (its JSON). */
  line: string;
  segment: number;
  bytes: number;
}

const MAX_BACKOFF_MS = 5000;
/** Past this size the active spool segment is sealed after a successful write (see AuditSpool.rotateIfLarger). */
const ROTATE_AFTER_WRITE_BYTES = 4 * 1024 * 1024;

/**
 * Write-behind queue of audit records. `record()` runs on the request path: it appends the
 * record to the spool (durable) and queues it in memory; a timer writes batches off the request
 * path. When the database is away, batches are retried with backoff while records keep arriving:
 * memory holds at most maxQueueBytes of them, the rest wait in the spool only and are read back
 * from it once the database answers again. Segments left by an earlier run are read back the
 * same way, so a crash loses nothing and, since inserts skip known ids, duplicates nothing.
 */
export class AuditWriter {
  private readonly logger = new Logger(AuditWriter.name);
  private queue: Entry[] = [];
  /** Records of this event-loop turn waiting for their spool write (see recordThen). */
  private pending: { record: AuditRecordData; then: (() => void) | null }[] = [];
  private queueHead = 0;
  private queueBytes = 0;
  private spilling = false;
  private replayCursor: { segment: number; offset: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<boolean> | null = null;
  private backoffMs = 0;
  private retryAt = 0;
  private failingSince: number | null = null;
  private written = 0;
  private failedWrites = 0;
  private dropped = 0;
  private unreadable = 0;
  private quarantined = 0;
  private lastError: string | null = null;
  private started = false;

  constructor(
    private readonly sink: AuditSink,
    readonly spool: AuditSpool,
    private readonly options: AuditWriterOptions,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    const left = this.spool.open();
    if (left.records > 0)
      this.logger.warn(
        `Audit spool holds ${left.records} record(s) from an earlier run (${left.bytes} bytes); writing them`,
      );
    this.timer = setInterval(() => void this.tick(), this.options.flushIntervalMs);
    this.timer.unref();
    if (left.records > 0) setImmediate(() => void this.tick());
  }

  /** On the request path: durable when it returns (unless the disk failed, which is logged and counted). */
  record(record: AuditRecordData): void {
    this.pending.push({ record, then: null });
    this.flushPending();
  }

  /**
   * On the request path, group commit: the record is appended to the spool together with every
   * other record handed over in the same turn of the event loop (one write(2) for all of them),
   * and `then` runs once it is there (or once the disk failed, which is logged and counted).
   * The recorder sends the response in `then`, so it still leaves only after its record is spooled.
   */
  recordThen(record: AuditRecordData, then: () => void): void {
    this.pending.push({ record, then });
    if (this.pending.length === 1) setImmediate(this.flushPending);
  }

  /** Spools and queues the records waiting for their write, then lets their responses go. */
  private readonly flushPending = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const lines: string[] = new Array(batch.length);
    const fits: boolean[] = new Array(batch.length);
    let diskOnly = 0;
    let queueBytes = this.queueBytes;
    for (let i = 0; i < batch.length; i++) {
      const line = JSON.stringify(batch[i].record);
      lines[i] = line;
      const ok = !this.spilling && queueBytes + line.length <= this.options.maxQueueBytes;
      if (!ok && !this.spilling) {
        this.spilling = true;
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
      if (fits[i]) {
        const bytes = lines[i].length;
        this.queue.push({ record: batch[i].record, line: lines[i], segment, bytes });
        this.queueBytes += bytes;
      } else if (segment < 0) {
        this.dropped++;
      }
    }
    if (this.queue.length - this.queueHead >= this.options.batchSize && !this.inFlight)
      setImmediate(() => void this.tick());
    for (const { then } of batch) {
      if (!then) continue;
      try {
        then();
      } catch (err) {
        this.logger.error(`A response after its audit record failed: ${(err as Error).message}`);
      }
    }
  };

  stats(): AuditWriterStats {
    const inMemory = this.queue.length - this.queueHead;
    return {
      queueDepth: inMemory + this.spool.diskOnlyRecords(),
      spoolBytes: this.spool.bytes(),
      written: this.written,
      failedWrites: this.failedWrites,
      inMemory,
      inMemoryBytes: this.queueBytes,
      spoolSegments: this.spool.segmentCount(),
      dropped: this.dropped,
      unreadable: this.unreadable,
      quarantined: this.quarantined,
      lastError: this.lastError,
      writeLagSeconds: this.writeLagSeconds(),
    };
  }

  /** How far the database is behind: the age of the oldest record in memory or in a segment to read back. */
  private writeLagSeconds(now = Date.now()): number {
    const times: number[] = [];
    const head = this.queue[this.queueHead];
    if (head) times.push(Date.parse(head.record.occurredAt));
    const replay = this.spool.oldestReplayTime();
    if (replay !== null) times.push(replay);
    const oldest = Math.min(...times.filter((t) => !Number.isNaN(t)));
    return Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0;
  }

  /** True when nothing waits: memory empty and no segment to read back. */
  idle(): boolean {
    return (
      this.pending.length === 0 &&
      this.queue.length === this.queueHead &&
      !this.spilling &&
      this.spool.nextReplaySegment() === null &&
      this.replayCursor === null
    );
  }

  /**
   * Writes until nothing waits or the time is up (used at shutdown and by tests).
   * Returns true when everything reached the database.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.inFlight) await this.inFlight;
      this.flushPending();
      if (this.idle()) return true;
      if (!this.sink.ready() || Date.now() >= deadline) return false;
      const progressed = await this.runBatch();
      if (!progressed)
        await sleep(Math.min(this.backoffMs || 50, Math.max(0, deadline - Date.now())));
    }
  }

  /** Stops the timer and closes the spool; whatever is still queued is in the spool for the next start. */
  stop(): void {
    this.flushPending();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.started) this.spool.close();
    this.started = false;
  }

  private async tick(): Promise<void> {
    if (this.inFlight || Date.now() < this.retryAt || !this.started) return;
    const progressed = await this.runBatch();
    // More than one batch waiting: keep going without waiting for the timer.
    if (
      progressed &&
      this.started &&
      (this.queue.length - this.queueHead >= this.options.batchSize || this.replayPending())
    )
      setImmediate(() => void this.tick());
  }

  private replayPending(): boolean {
    return (
      this.replayCursor !== null ||
      (this.queue.length === this.queueHead &&
        (this.spilling || this.spool.nextReplaySegment() !== null))
    );
  }

  /** One batch: from memory first (fresh records, bounded), else from a spool segment to read back. */
  private runBatch(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.writeOne().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async writeOne(): Promise<boolean> {
    try {
      if (this.queue.length > this.queueHead) await this.writeFromMemory();
      else if (!(await this.writeFromSpool())) return false;
      this.onSuccess();
      return true;
    } catch (err) {
      this.onFailure(err as Error);
      return false;
    }
  }

  private async writeFromMemory(): Promise<void> {
    const batch = this.queue.slice(this.queueHead, this.queueHead + this.options.batchSize);
    await this.insert(
      batch.map((e) => e.record),
      batch.map((e) => e.line),
    );
    this.queueHead += batch.length;
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    const perSegment = new Map<number, number>();
    for (const e of batch) {
      this.queueBytes -= e.bytes;
      if (e.segment >= 0) perSegment.set(e.segment, (perSegment.get(e.segment) ?? 0) + 1);
    }
    for (const [segment, n] of perSegment) this.spool.confirm(segment, n);
    this.spool.rotateIfLarger(ROTATE_AFTER_WRITE_BYTES);
    this.written += batch.length;
  }

  /** Reads the next lines of a segment that must be read back; false when there is none. */
  private async writeFromSpool(): Promise<boolean> {
    if (!this.replayCursor) {
      if (this.spilling) {
        // Memory drained: take records in memory again, and read back what went to disk only.
        this.spilling = false;
        this.spool.endSpill();
      }
      const segment = this.spool.nextReplaySegment();
      if (segment === null) return false;
      this.replayCursor = { segment, offset: 0 };
    }
    const cursor = this.replayCursor;
    const chunk = this.spool.read(cursor.segment, cursor.offset, this.options.batchSize);
    const records: AuditRecordData[] = [];
    const lines: string[] = [];
    for (const line of chunk.lines) {
      try {
        records.push(JSON.parse(line) as AuditRecordData);
        lines.push(line);
      } catch {
        this.unreadable++;
      }
    }
    if (chunk.tornBytes > 0) {
      this.unreadable++;
      this.logger.warn(
        `Audit spool segment ${cursor.segment} ends with ${chunk.tornBytes} bytes that are not a whole record; skipped`,
      );
    }
    if (records.length > 0) await this.insert(records, lines);
    this.written += records.length;
    cursor.offset = chunk.nextOffset;
    if (chunk.eof) {
      this.spool.finishReplay(cursor.segment);
      this.replayCursor = null;
    }
    return true;
  }

  /**
   * A batch the database refuses for its data (not for being away) would otherwise be retried
   * forever and hold up every record behind it: its records are tried one by one, and the ones
   * refused alone are set aside in the spool folder's quarantine file, logged and counted.
   */
  private async insert(records: AuditRecordData[], lines?: string[]): Promise<void> {
    try {
      await this.sink.insertIgnore(records, lines);
    } catch (err) {
      if (!this.sink.isPermanentError?.(err)) throw err;
      for (const record of records) {
        try {
          await this.sink.insertIgnore([record]);
        } catch (single) {
          if (!this.sink.isPermanentError?.(single)) throw single;
          this.spool.quarantine(JSON.stringify(record));
          this.quarantined++;
          this.logger.error(
            `Audit record ${record.id} refused by the database (${(single as Error).message}); kept in ${this.spool.quarantinePath}`,
          );
        }
      }
    }
  }

  private onSuccess(): void {
    if (this.failingSince !== null) {
      this.logger.log(
        `Audit database writes resumed after ${Math.round((Date.now() - this.failingSince) / 1000)} s`,
      );
      this.failingSince = null;
    }
    this.backoffMs = 0;
    this.retryAt = 0;
  }

  private onFailure(err: Error): void {
    this.failedWrites++;
    this.lastError = err.message;
    if (this.failingSince === null) {
      this.failingSince = Date.now();
      this.logger.warn(
        `Audit database write failed (${err.message}); records wait in the spool and are retried`,
      );
    }
    this.backoffMs = Math.min(
      MAX_BACKOFF_MS,
      Math.max(this.options.flushIntervalMs, this.backoffMs * 2 || 100),
    );
    this.retryAt = Date.now() + this.backoffMs;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
