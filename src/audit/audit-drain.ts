import { Logger } from '@nestjs/common';
import { AuditMemoryQueue } from './audit-memory-queue';
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
  /**
   * Of these records (read back from a segment an earlier run left), the ids of those whose
   * request is already audited under another record id: the same request, answered again by
   * another replica after this process died before its answer left (see AuditDrain's replay).
   */
  answeredElsewhere?(records: AuditRecordData[]): Promise<Set<string>>;
}

interface AuditDrainCounters {
  /** Records the database confirmed since start (replays of already-written records included). */
  written: number;
  /** Batch inserts that failed (each is retried). */
  failedWrites: number;
  /** Spool lines that could not be read back (a torn last line after a power loss). */
  unreadable: number;
  /** Records the database refused for their data, kept in the spool folder's quarantine file. */
  quarantined: number;
  /** Records of an earlier run's segments not written: another replica answered their request (a retry). */
  answeredElsewhere: number;
  lastError: string | null;
}

const MAX_BACKOFF_MS = 5000;
/** Past this size the active spool segment is sealed after a successful write (see AuditSpool.rotateIfLarger). */
const ROTATE_AFTER_WRITE_BYTES = 4 * 1024 * 1024;

/**
 * Off the request path: writes batches to the database on a timer, from memory first (fresh
 * records), else from a spool segment to read back (records that went to disk only while memory
 * was full, or left by an earlier run). When the database is away, batches are retried with
 * backoff; since inserts skip known ids, a replay duplicates nothing.
 */
export class AuditDrain {
  private readonly logger = new Logger(AuditDrain.name);
  private replayCursor: { segment: number; offset: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<boolean> | null = null;
  private backoffMs = 0;
  private retryAt = 0;
  private failingSince: number | null = null;
  private readonly counters: AuditDrainCounters = {
    written: 0,
    failedWrites: 0,
    unreadable: 0,
    quarantined: 0,
    answeredElsewhere: 0,
    lastError: null,
  };

  constructor(
    private readonly sink: AuditSink,
    private readonly spool: AuditSpool,
    private readonly queue: AuditMemoryQueue,
    private readonly options: { batchSize: number; flushIntervalMs: number },
  ) {}

  start(replayNow: boolean): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.flushIntervalMs);
    this.timer.unref();
    if (replayNow) this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Write now rather than at the next tick (a full batch waits). */
  kick(): void {
    if (!this.inFlight) setImmediate(() => void this.tick());
  }

  stats(): AuditDrainCounters {
    return { ...this.counters };
  }

  /** A spool segment is being read back. */
  get replaying(): boolean {
    return this.replayCursor !== null;
  }

  /** True while the database can still be written (not closed for good). */
  ready(): boolean {
    return this.sink.ready();
  }

  /** How long to wait after a batch that made no progress. */
  get retryDelayMs(): number {
    return this.backoffMs;
  }

  /** The batch in flight, if any, settled. */
  async settle(): Promise<void> {
    if (this.inFlight) await this.inFlight;
  }

  /** How far the database is behind: the age of the oldest record in memory or in a segment to read back. */
  writeLagSeconds(now = Date.now()): number {
    const times: number[] = [];
    const head = this.queue.first();
    if (head) times.push(Date.parse(head.record.occurredAt));
    const replay = this.spool.oldestReplayTime();
    if (replay !== null) times.push(replay);
    const oldest = Math.min(...times.filter((t) => !Number.isNaN(t)));
    return Number.isFinite(oldest) ? Math.max(0, (now - oldest) / 1000) : 0;
  }

  /** One batch: from memory first (fresh records, bounded), else from a spool segment to read back. */
  runBatch(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.writeOne().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async tick(): Promise<void> {
    if (this.inFlight || Date.now() < this.retryAt || !this.timer) return;
    const progressed = await this.runBatch();
    // More than one batch waiting: keep going without waiting for the timer.
    if (
      progressed &&
      this.timer &&
      (this.queue.length >= this.options.batchSize || this.replayPending())
    )
      setImmediate(() => void this.tick());
  }

  private replayPending(): boolean {
    return (
      this.replayCursor !== null ||
      (this.queue.length === 0 && (this.spool.spilling || this.spool.nextReplaySegment() !== null))
    );
  }

  private async writeOne(): Promise<boolean> {
    try {
      if (this.queue.length > 0) await this.writeFromMemory();
      else if (!(await this.writeFromSpool())) return false;
      this.onSuccess();
      return true;
    } catch (err) {
      this.onFailure(err as Error);
      return false;
    }
  }

  private async writeFromMemory(): Promise<void> {
    const batch = this.queue.peek(this.options.batchSize);
    await this.insert(
      batch.map((e) => e.record),
      batch.map((e) => e.line),
    );
    this.queue.remove(batch.length);
    const perSegment = new Map<number, number>();
    for (const e of batch)
      if (e.segment >= 0) perSegment.set(e.segment, (perSegment.get(e.segment) ?? 0) + 1);
    for (const [segment, n] of perSegment) this.spool.confirm(segment, n);
    this.spool.rotateIfLarger(ROTATE_AFTER_WRITE_BYTES);
    this.counters.written += batch.length;
  }

  /** Reads the next lines of a segment that must be read back; false when there is none. */
  private async writeFromSpool(): Promise<boolean> {
    if (!this.replayCursor) {
      // Memory drained: the request path may queue in memory again; what went to disk only is read back.
      if (this.spool.spilling) this.spool.endSpill();
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
        this.counters.unreadable++;
      }
    }
    if (chunk.tornBytes > 0) {
      this.counters.unreadable++;
      this.logger.warn(
        `Audit spool segment ${cursor.segment} ends with ${chunk.tornBytes} bytes that are not a whole record; skipped`,
      );
    }
    if (records.length > 0 && this.spool.leftByEarlierRun(cursor.segment))
      await this.skipAnsweredElsewhere(records, lines);
    if (records.length > 0) await this.insert(records, lines);
    this.counters.written += records.length;
    cursor.offset = chunk.nextOffset;
    if (chunk.eof) {
      this.spool.finishReplay(cursor.segment);
      this.replayCursor = null;
    }
    return true;
  }

  /**
   * A process killed between spooling a record and sending its answer leaves a record of a
   * request its client never got an answer to; a load balancer that retries it (nginx's
   * `non_idempotent` on the pricing routes) has it answered, and audited, by another replica
   * under the same request id. Replaying the dead run's record too would audit that request
   * twice: such records are dropped from the batch (in place), counted and logged. Only
   * segments of an earlier run are checked: a running process's own records have no such twin.
   */
  private async skipAnsweredElsewhere(records: AuditRecordData[], lines: string[]): Promise<void> {
    if (!this.sink.answeredElsewhere) return;
    const twins = await this.sink.answeredElsewhere(records);
    if (twins.size === 0) return;
    let kept = 0;
    for (let i = 0; i < records.length; i++) {
      if (twins.has(records[i].id)) continue;
      records[kept] = records[i];
      lines[kept++] = lines[i];
    }
    const skipped = records.length - kept;
    records.length = kept;
    lines.length = kept;
    this.counters.answeredElsewhere += skipped;
    this.logger.warn(
      `Audit replay: ${skipped} record(s) of an earlier run not written: their requests were answered and audited by another replica`,
    );
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
          this.counters.quarantined++;
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
    this.counters.failedWrites++;
    this.counters.lastError = err.message;
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
