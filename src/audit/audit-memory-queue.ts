import type { AuditRecordData } from './audit-record';

/** A record waiting in memory for the database, with its spool line and segment. */
interface QueuedRecord {
  record: AuditRecordData;
  /** The record's spool line (its JSON). */
  line: string;
  /** The spool segment that holds it; -1 when the spool could not be written. */
  segment: number;
  bytes: number;
}

/**
 * The records the request path handed over and the database has not taken yet, in order,
 * bounded by maxBytes (beyond it records wait in the spool only). The appender adds at the tail,
 * the drain takes from the head.
 */
export class AuditMemoryQueue {
  private entries: QueuedRecord[] = [];
  private head = 0;
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get length(): number {
    return this.entries.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  push(entry: QueuedRecord): void {
    this.entries.push(entry);
    this.bytes += entry.bytes;
  }

  /** The oldest record, if any. */
  first(): QueuedRecord | undefined {
    return this.entries[this.head];
  }

  /** The oldest `n` records, left in place until `remove`. */
  peek(n: number): QueuedRecord[] {
    return this.entries.slice(this.head, this.head + n);
  }

  /** Drops the oldest `n` records (the database has them). */
  remove(n: number): void {
    for (let i = this.head; i < this.head + n && i < this.entries.length; i++)
      this.bytes -= this.entries[i].bytes;
    this.head = Math.min(this.entries.length, this.head + n);
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
