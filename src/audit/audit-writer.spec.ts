import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecordData } from './audit-record';
import { AuditSpool } from './audit-spool';
import { AuditSink, AuditWriter } from './audit-writer';

/** An in-memory table with a unique key, which can be taken down and brought back. */
class FakeTable implements AuditSink {
  rows = new Map<string, AuditRecordData>();
  inserts = 0;
  down = false;
  answeredElsewhere?: (records: AuditRecordData[]) => Promise<Set<string>>;
  async insertIgnore(records: AuditRecordData[]): Promise<void> {
    if (this.down) throw new Error('database is away');
    this.inserts++;
    for (const r of records) if (!this.rows.has(r.id)) this.rows.set(r.id, r);
  }
  ready(): boolean {
    return true;
  }
}

const record = (i: number): AuditRecordData => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  requestId: `req-${i}`,
  occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
  method: 'POST',
  route: '/v1/prices',
  url: '/v1/prices',
  query: null,
  requestBody: JSON.stringify({
    carat: 1,
    cut: 'Ideal',
    color: 'G',
    clarity: 'VS1',
    pad: 'x'.repeat(100),
  }),
  status: 200,
  responseBody: '{"price":1234}',
  durationMs: 1.5,
  clientIp: '127.0.0.1',
  userAgent: 'spec',
  modelFamily: 'xgboost',
  modelVersion: 1,
  errorMessage: null,
});

/** node's fs module itself (what the spool calls), so a spy can make a call fail. */
const fs = require('node:fs') as typeof import('node:fs');
/** Bytes of one record's spool line. */
const LINE = JSON.stringify(record(0)).length;

describe('AuditWriter', () => {
  let dir: string;
  let table: FakeTable;
  const writers: AuditWriter[] = [];

  const makeWriter = (
    options: Partial<{ batchSize: number; maxQueueBytes: number; segmentBytes: number }> = {},
  ) => {
    const spool = new AuditSpool(dir, {
      segmentBytes: options.segmentBytes ?? 1024 * 1024,
      fsyncEachRecord: false,
    });
    const writer = new AuditWriter(table, spool, {
      batchSize: options.batchSize ?? 50,
      flushIntervalMs: 60_000,
      maxQueueBytes: options.maxQueueBytes ?? 1024 * 1024,
    });
    writers.push(writer);
    writer.start();
    return writer;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-writer-'));
    table = new FakeTable();
  });
  afterEach(() => {
    for (const w of writers.splice(0)) w.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the write lag: the age of the oldest record not yet in the database', async () => {
    const writer = makeWriter({ batchSize: 1000 });
    expect(writer.stats().writeLagSeconds).toBe(0);
    const at = Date.now() - 30_000;
    writer.record({ ...record(1), occurredAt: new Date(at).toISOString() });
    writer.record({ ...record(2), occurredAt: new Date(at + 10_000).toISOString() });
    expect(writer.stats().writeLagSeconds).toBeGreaterThanOrEqual(30);
    expect(writer.stats().writeLagSeconds).toBeLessThan(35);
    // After a crash the records wait in a segment to read back: the lag is its first record's age.
    writer.stop();
    const restarted = makeWriter({ batchSize: 1000 });
    table.down = true;
    expect(restarted.stats().writeLagSeconds).toBeGreaterThanOrEqual(30);
    table.down = false;
    expect(await restarted.drain(5000)).toBe(true);
    expect(restarted.stats().writeLagSeconds).toBe(0);
  });

  it('writes queued records in batches and deletes the spool once they are in', async () => {
    const writer = makeWriter({ batchSize: 10 });
    for (let i = 0; i < 35; i++) writer.record(record(i));
    expect(readdirSync(dir)).toHaveLength(1);
    expect(await writer.drain(5000)).toBe(true);
    expect(table.rows.size).toBe(35);
    expect(table.inserts).toBe(4);
    expect(readdirSync(dir)).toEqual([]);
    expect(writer.stats()).toMatchObject({
      queueDepth: 0,
      spoolBytes: 0,
      written: 35,
      failedWrites: 0,
    });
  });

  it('keeps memory bounded while the database is away, spills to the spool, and loses or duplicates nothing when it is back', async () => {
    const writer = makeWriter({ batchSize: 20, maxQueueBytes: 5000, segmentBytes: 16 * 1024 });
    table.down = true;
    for (let i = 0; i < 500; i++) writer.record(record(i));
    expect(await writer.drain(100)).toBe(false);
    const during = writer.stats();
    expect(during.inMemoryBytes).toBeLessThanOrEqual(5000);
    expect(during.inMemory).toBeLessThan(20);
    expect(during.queueDepth).toBe(500);
    expect(during.failedWrites).toBeGreaterThan(0);
    expect(during.spoolSegments).toBeGreaterThan(3); // rotated while spilling
    table.down = false;
    for (let i = 500; i < 520; i++) writer.record(record(i));
    expect(await writer.drain(10_000)).toBe(true);
    expect(table.rows.size).toBe(520);
    expect(writer.stats()).toMatchObject({ queueDepth: 0, spoolBytes: 0, dropped: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('sets aside a record the database refuses for its data instead of retrying its batch forever', async () => {
    const poison = record(7).id;
    const refusing: AuditSink = {
      insertIgnore: async (records) => {
        if (records.some((r) => r.id === poison))
          throw Object.assign(new Error('value too long'), { permanent: true });
        await table.insertIgnore(records);
      },
      ready: () => true,
      isPermanentError: (err) => (err as { permanent?: boolean }).permanent === true,
    };
    const spool = new AuditSpool(dir, { segmentBytes: 1 << 20, fsyncEachRecord: false });
    const writer = new AuditWriter(refusing, spool, {
      batchSize: 5,
      flushIntervalMs: 60_000,
      maxQueueBytes: 1 << 20,
    });
    writers.push(writer);
    writer.start();
    for (let i = 0; i < 12; i++) writer.record(record(i));
    expect(await writer.drain(5000)).toBe(true);
    expect(table.rows.size).toBe(11);
    expect(table.rows.has(poison)).toBe(false);
    expect(writer.stats()).toMatchObject({ quarantined: 1, queueDepth: 0 });
    expect(readdirSync(dir)).toEqual(['quarantine.ndjson']);
  });

  it('counts a failing fdatasync (AUDIT_SPOOL_FSYNC) without losing the record it was for', async () => {
    const spool = new AuditSpool(dir, {
      segmentBytes: 1 << 20,
      fsyncEachRecord: true,
      onSyncError: (err) => reported.push(err.message),
    });
    const reported: string[] = [];
    const writer = new AuditWriter(table, spool, {
      batchSize: 50,
      flushIntervalMs: 60_000,
      maxQueueBytes: 1 << 20,
    });
    writers.push(writer);
    writer.start();
    const sync = jest.spyOn(fs, 'fdatasyncSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    });
    try {
      writer.record(record(1));
      writer.record(record(2));
    } finally {
      sync.mockRestore();
    }
    expect(writer.stats()).toMatchObject({ spoolSyncErrors: 2, spoolAppendErrors: 0, dropped: 0 });
    expect(reported).toEqual(['EIO: i/o error, fdatasync', 'EIO: i/o error, fdatasync']);
    expect(await writer.drain(5000)).toBe(true);
    expect(table.rows.size).toBe(2);
  });

  it('counts a failing spool write, and drops (counted) only what memory could not hold either', async () => {
    const writer = makeWriter({ batchSize: 1000, maxQueueBytes: LINE * 1.5 });
    table.down = true;
    const write = jest.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    try {
      for (let i = 0; i < 5; i++) writer.record(record(i));
    } finally {
      write.mockRestore();
    }
    // One fits in memory; the rest had nowhere to go.
    expect(writer.stats()).toMatchObject({ spoolAppendErrors: 5, inMemory: 1, dropped: 4 });
    table.down = false;
    expect(await writer.drain(5000)).toBe(true);
    expect(table.rows.size).toBe(1);
  });

  it('keeps the spill state in the spool alone: the drain ends it once memory is empty', async () => {
    const writer = makeWriter({ batchSize: 1000, maxQueueBytes: LINE * 2.5 });
    table.down = true;
    for (let i = 0; i < 6; i++) writer.record(record(i));
    expect(writer.spool.spilling).toBe(true);
    expect(writer.stats()).toMatchObject({ inMemory: 2, queueDepth: 6 });
    table.down = false;
    expect(await writer.drain(5000)).toBe(true);
    expect(writer.spool.spilling).toBe(false);
    expect(table.rows.size).toBe(6);
  });

  it('on start, replays what an earlier process left in the spool', async () => {
    const first = makeWriter();
    for (let i = 0; i < 30; i++) first.record(record(i));
    first.stop(); // a crash: nothing written
    expect(table.rows.size).toBe(0);
    const second = makeWriter({ batchSize: 7 });
    expect(second.stats().queueDepth).toBe(30);
    expect(await second.drain(5000)).toBe(true);
    expect(table.rows.size).toBe(30);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("on replay of a dead run's spool, skips the records whose request another replica answered since (a retry), and only those", async () => {
    const twinOf = (r: AuditRecordData, id: string): AuditRecordData => ({ ...r, id });
    // The table knows a request by its id, method, URL and body, as the repository does.
    table.answeredElsewhere = async (records) =>
      new Set(
        records
          .filter((r) =>
            [...table.rows.values()].some(
              (row) =>
                row.id !== r.id &&
                row.requestId === r.requestId &&
                row.method === r.method &&
                row.url === r.url &&
                row.requestBody === r.requestBody,
            ),
          )
          .map((r) => r.id),
      );
    const first = makeWriter();
    for (let i = 0; i < 10; i++) first.record(record(i));
    first.stop(); // killed: nothing written
    // Meanwhile another replica answered request 3 again (nginx's retry), and a request of the
    // same id but another URL (not the same request): only the first is a twin.
    const retried = twinOf(record(3), 'retried-on-b');
    const other = { ...twinOf(record(5), 'other-url-on-b'), url: '/v1/prices/batch' };
    for (const r of [retried, other]) table.rows.set(r.id, r);
    const second = makeWriter({ batchSize: 4 });
    // Its own records, with a twin or not, are written as they come: only replays are checked.
    second.record(twinOf(record(3), 'this-run'));
    expect(await second.drain(5000)).toBe(true);
    const byRequest = (requestId: string) =>
      [...table.rows.values()].filter((r) => r.requestId === requestId).map((r) => r.id);
    expect(byRequest('req-3').sort()).toEqual(['retried-on-b', 'this-run']);
    expect(byRequest('req-5').sort()).toEqual([record(5).id, 'other-url-on-b']);
    expect(table.rows.size).toBe(2 + 9 + 1);
    expect(second.stats()).toMatchObject({ answeredElsewhere: 1, queueDepth: 0 });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('AuditSpool', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'audit-spool-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rotates segments by size and deletes each once all its records are confirmed', () => {
    const spool = new AuditSpool(dir, { segmentBytes: 100, fsyncEachRecord: false });
    spool.open();
    const segments = Array.from({ length: 6 }, () => spool.append('x'.repeat(40)));
    expect(segments).toEqual([1, 1, 1, 2, 2, 2]);
    expect(readdirSync(dir)).toHaveLength(2);
    spool.confirm(1, 2);
    expect(readdirSync(dir)).toHaveLength(2);
    spool.confirm(1, 1);
    expect(readdirSync(dir)).toEqual(['segment-0000000002.ndjson']);
    spool.confirm(2, 3);
    expect(readdirSync(dir)).toEqual([]);
    expect(spool.bytes()).toBe(0);
  });

  it('reads back whole lines in chunks and reports a torn last line', () => {
    const spool = new AuditSpool(dir, { segmentBytes: 1 << 20, fsyncEachRecord: false });
    spool.open();
    for (let i = 0; i < 5; i++) spool.append(`{"n":${i}}`);
    spool.close();
    require('node:fs').appendFileSync(join(dir, 'segment-0000000001.ndjson'), '{"n":5');
    const reopened = new AuditSpool(dir, { segmentBytes: 1 << 20, fsyncEachRecord: false });
    expect(reopened.open()).toMatchObject({ segments: 1, records: 5 });
    const first = reopened.read(1, 0, 3);
    expect(first).toMatchObject({ lines: ['{"n":0}', '{"n":1}', '{"n":2}'], eof: false });
    const rest = reopened.read(1, first.nextOffset, 10);
    expect(rest).toMatchObject({ lines: ['{"n":3}', '{"n":4}'], eof: true, tornBytes: 6 });
  });
});
