import {
  appendFileSync,
  close,
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

interface Segment {
  id: number;
  path: string;
  bytes: number;
  /** Records appended in this process (0 for a segment left by an earlier run). */
  appended: number;
  /** Of those, how many the database has confirmed. */
  confirmed: number;
  /** Some of its records are on disk only: the writer must read the whole file back. */
  replay: boolean;
  /** Records known to be on disk only (spilled, or left by an earlier run): the queue depth's disk part. */
  diskOnly: number;
  /** Left by an earlier run (found by open()): its last records may be requests that run never answered. */
  earlier: boolean;
  /** Epoch ms of its first record, read once when asked (the write lag of a segment to replay). */
  firstAt?: number | null;
}

interface SpoolChunk {
  lines: string[];
  nextOffset: number;
  eof: boolean;
  /** Bytes at the end of a file that do not form a whole line (a write cut by a power loss). */
  tornBytes: number;
}

const SEGMENT_NAME = /^segment-(\d{10})\.ndjson$/;
const MAX_READ = 8 * 1024 * 1024;

/** What the spool counts of its own failures (both reach /metrics). */
interface SpoolErrors {
  /** write(2) failures: those records are not on disk (in the writer's memory only, or lost). */
  append: number;
  /** fdatasync failures: the bytes are written (in the page cache) but not known to be on the disk. */
  sync: number;
}

interface AuditSpoolOptions {
  segmentBytes: number;
  fsyncEachRecord: boolean;
  /** Told of every failed fdatasync (the one of a sealed segment runs off the event loop). */
  onSyncError?: (err: Error) => void;
}

/**
 * The audit spool: append-only NDJSON segment files under VAR_DIR/audit-spool.
 *
 * Durability policy: every record is written with write(2) (writeSync) before its response
 * leaves. Once write returns, the bytes are in the kernel's page cache, which survives a crash
 * or SIGKILL of the process; only a power loss or kernel crash could lose them. Segments are
 * fdatasync'ed when sealed (on the thread pool) and at shutdown; AUDIT_SPOOL_FSYNC=true fdatasyncs every record too
 * (power-loss safe, at the price of a disk flush per request).
 *
 * A segment is deleted once the database holds all of its records: either each record was
 * confirmed from memory, or the writer replayed the whole file (segments left by an earlier
 * run, or written while the in-memory queue was full).
 *
 * It owns the spill state: while the writer's memory is full (startSpill to endSpill), records
 * are on disk only and the segments they land in are marked to be read back.
 */
export class AuditSpool {
  private readonly segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private fd: number | null = null;
  private nextId = 1;
  /** While set, new segments are marked for replay (the writer's memory queue is full). */
  private spill = false;
  private appendErrors = 0;
  private syncErrors = 0;

  constructor(
    readonly dir: string,
    private readonly options: AuditSpoolOptions,
  ) {}

  /** True while records go to disk only (the writer's memory is full). */
  get spilling(): boolean {
    return this.spill;
  }

  errors(): SpoolErrors {
    return { append: this.appendErrors, sync: this.syncErrors };
  }

  /** Opens the folder; segments left by an earlier run (a crash, or a shutdown with the database away) are marked for replay. */
  open(): { segments: number; records: number; bytes: number } {
    mkdirSync(this.dir, { recursive: true });
    let records = 0;
    let bytes = 0;
    for (const name of readdirSync(this.dir).sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const id = Number(match[1]);
      const path = join(this.dir, name);
      const size = statSync(path).size;
      this.nextId = Math.max(this.nextId, id + 1);
      if (size === 0) {
        unlinkSync(path);
        continue;
      }
      const lines = countLines(path);
      this.segments.set(id, {
        id,
        path,
        bytes: size,
        appended: 0,
        confirmed: 0,
        replay: true,
        diskOnly: lines,
        earlier: true,
      });
      records += lines;
      bytes += size;
    }
    return { segments: [...this.segments.values()].length, records, bytes };
  }

  /** Appends one record (synchronously: it is durable when this returns) and says which segment holds it. */
  append(line: string, diskOnly = false): number {
    return this.appendLines([line], diskOnly ? 1 : 0);
  }

  /**
   * Appends several records with one write(2) (group commit: durable when this returns, like
   * append) and says which segment holds them; `diskOnly` of them are not in the writer's memory.
   * Throws when the write fails (counted); a failed fdatasync (AUDIT_SPOOL_FSYNC) is counted and
   * reported, not thrown: the records are written, only not known to be on the disk.
   */
  appendLines(lines: readonly string[], diskOnly = 0): number {
    const segment = this.active ?? this.openActive();
    const buf = Buffer.from(lines.length === 1 ? `${lines[0]}\n` : `${lines.join('\n')}\n`, 'utf8');
    let written = 0;
    try {
      while (written < buf.length)
        written += writeSync(this.fd as number, buf, written, buf.length - written);
    } catch (err) {
      this.appendErrors++;
      if (written > 0) segment.bytes += written; // a torn line; the reader skips it
      throw err;
    }
    if (this.options.fsyncEachRecord) {
      try {
        fdatasyncSync(this.fd as number);
      } catch (err) {
        this.syncFailed(err as Error);
      }
    }
    segment.bytes += buf.length;
    segment.appended += lines.length;
    segment.diskOnly += diskOnly;
    if (segment.bytes >= this.options.segmentBytes) this.seal();
    return segment.id;
  }

  /** The database holds `count` more records of this segment. */
  confirm(segmentId: number, count: number): void {
    const segment = this.segments.get(segmentId);
    if (!segment) return;
    segment.confirmed += count;
    if (!segment.replay && segment.confirmed >= segment.appended) this.remove(segment);
  }

  /** The writer's memory is full: from now on records are on disk only, so their segments must be read back. */
  startSpill(): void {
    this.spill = true;
    if (this.active) this.active.replay = true;
  }

  /**
   * Under steady traffic the active segment is never fully confirmed (records keep arriving
   * between a batch and its confirmation), so the writer seals it past a modest size after each
   * write: sealed segments go as soon as their last record is in, and what a crash leaves to
   * replay stays small.
   */
  rotateIfLarger(bytes: number): void {
    if (this.active && this.active.bytes >= bytes) this.seal();
  }

  /** The writer takes records in memory again; the segment that was filling while spilling is sealed for replay. */
  endSpill(): void {
    this.spill = false;
    if (this.active?.replay) this.seal();
  }

  /** Oldest sealed segment whose file must be read back, if any. */
  nextReplaySegment(): number | null {
    let best: number | null = null;
    for (const s of this.segments.values())
      if (s.replay && s !== this.active && (best === null || s.id < best)) best = s.id;
    return best;
  }

  /** True for a segment left by an earlier run of the process (a crash, or a shutdown with the database away). */
  leftByEarlierRun(segmentId: number): boolean {
    return this.segments.get(segmentId)?.earlier ?? false;
  }

  /** Whole lines of a segment from `offset`, at most `maxLines` of them. */
  read(segmentId: number, offset: number, maxLines: number): SpoolChunk {
    const segment = this.segments.get(segmentId);
    if (!segment) return { lines: [], nextOffset: offset, eof: true, tornBytes: 0 };
    const fd = openSync(segment.path, 'r');
    try {
      const size = fstatSync(fd).size;
      const lines: string[] = [];
      let pos = offset;
      let bufSize = 256 * 1024;
      while (lines.length < maxLines && pos < size) {
        const buf = Buffer.allocUnsafe(Math.min(bufSize, size - pos));
        const n = readSync(fd, buf, 0, buf.length, pos);
        let start = 0;
        let nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= n) {
          if (pos + n >= size) return { lines, nextOffset: size, eof: true, tornBytes: size - pos };
          if (bufSize >= MAX_READ)
            throw new Error(`Audit spool line longer than ${MAX_READ} bytes in ${segment.path}`);
          bufSize *= 2;
          continue;
        }
        while (nl >= 0 && nl < n && lines.length < maxLines) {
          lines.push(buf.toString('utf8', start, nl));
          start = nl + 1;
          nl = buf.indexOf(10, start);
        }
        pos += start;
      }
      return { lines, nextOffset: pos, eof: pos >= size, tornBytes: 0 };
    } finally {
      closeSync(fd);
    }
  }

  /** Where records the database refused for their data are kept (never replayed: a person looks at them). */
  get quarantinePath(): string {
    return join(this.dir, 'quarantine.ndjson');
  }

  quarantine(line: string): void {
    appendFileSync(this.quarantinePath, `${line}\n`);
  }

  /** Every record of a replayed segment is in the database: delete its file. */
  finishReplay(segmentId: number): void {
    const segment = this.segments.get(segmentId);
    if (segment && segment !== this.active) this.remove(segment);
  }

  /** Time of the first record of the oldest segment still to be read back (null when none). */
  oldestReplayTime(): number | null {
    const id = this.nextReplaySegment();
    const segment = id === null ? undefined : this.segments.get(id);
    if (!segment) return null;
    if (segment.firstAt === undefined) {
      segment.firstAt = null;
      try {
        const [line] = this.read(segment.id, 0, 1).lines;
        const at = line
          ? Date.parse((JSON.parse(line) as { occurredAt?: string }).occurredAt ?? '')
          : NaN;
        if (!Number.isNaN(at)) segment.firstAt = at;
      } catch {
        // an unreadable first line: no time to report
      }
    }
    return segment.firstAt;
  }

  /** Records known to wait on disk only (not in the writer's memory). */
  diskOnlyRecords(): number {
    let n = 0;
    for (const s of this.segments.values()) if (s.replay) n += s.diskOnly;
    return n;
  }

  bytes(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.bytes;
    return n;
  }

  segmentCount(): number {
    return this.segments.size;
  }

  /** Flushes the active segment to disk and closes it; what it holds is replayed on the next start. */
  close(): void {
    if (this.active) this.seal(true);
  }

  private openActive(): Segment {
    const id = this.nextId++;
    const path = join(this.dir, `segment-${String(id).padStart(10, '0')}.ndjson`);
    this.fd = openSync(path, 'a');
    const segment: Segment = {
      id,
      path,
      bytes: 0,
      appended: 0,
      confirmed: 0,
      replay: this.spill,
      diskOnly: 0,
      earlier: false,
    };
    this.segments.set(id, segment);
    this.active = segment;
    return segment;
  }

  /**
   * Closes the active segment. Its fdatasync runs on libuv's thread pool, off the event loop (the
   * bytes are already in the page cache, which a process crash does not lose), except at
   * shutdown (`sync`), where the process must not leave before its files are on disk.
   */
  private seal(sync = false): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) {
      if (sync) {
        try {
          fdatasyncSync(fd);
        } catch (err) {
          this.syncFailed(err as Error);
        } finally {
          closeSync(fd);
        }
      } else {
        fdatasync(fd, (err) => {
          if (err) this.syncFailed(err);
          close(fd, () => undefined);
        });
      }
    }
    const sealed = this.active;
    this.active = null;
    if (sealed && !sealed.replay && sealed.confirmed >= sealed.appended) this.remove(sealed);
  }

  private syncFailed(err: Error): void {
    this.syncErrors++;
    try {
      this.options.onSyncError?.(err);
    } catch {
      // a reporter's failure must not become the spool's
    }
  }

  private remove(segment: Segment): void {
    if (segment === this.active) {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      this.active = null;
    }
    try {
      unlinkSync(segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.segments.delete(segment.id);
  }
}

function countLines(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let count = 0;
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return count;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) count++;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}
