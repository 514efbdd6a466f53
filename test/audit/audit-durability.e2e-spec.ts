import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../../src/audit/audit.repository';
import type { AuditRecordData } from '../../src/audit/audit-record';
import { AuditWriter } from '../../src/audit/audit-writer';
import { createTestApp, dropSchema, ENGINE, TestApp } from '../support/test-app';
import { AuditProbeController } from './audit-probe.controller';

/** A writer that never flushes by itself: only close() or drain() write. */
const NO_AUTO_FLUSH = { AUDIT_FLUSH_INTERVAL_MS: '600000', AUDIT_BATCH_SIZE: '2000' };
const metadata = { controllers: [AuditProbeController] };

describe(`Audit durability (${ENGINE})`, () => {
  const opened: TestApp[] = [];
  const workDirs: string[] = [];

  async function boot(overrides: Record<string, string>, workDir?: string): Promise<TestApp> {
    const t = await createTestApp(
      { ...NO_AUTO_FLUSH, ...overrides },
      { workDir, keepState: true, metadata },
    );
    opened.push(t);
    if (!workDirs.includes(t.workDir)) workDirs.push(t.workDir);
    return t;
  }

  const spoolDir = (t: TestApp) => join(t.workDir, 'var', 'audit-spool');
  const spoolFiles = (t: TestApp) => (existsSync(spoolDir(t)) ? readdirSync(spoolDir(t)) : []);
  const countIds = async (t: TestApp, ids: string[]) => {
    const db = t.app.get(DataSource);
    const params = ids.map((_, i) => (ENGINE === 'postgres' ? `$${i + 1}` : '?')).join(',');
    const rows = await db.query(
      `SELECT request_id, COUNT(*) AS n FROM audit_record WHERE request_id IN (${params}) GROUP BY request_id`,
      ids,
    );
    return new Map<string, number>(
      rows.map((r: { request_id: string; n: string | number }) => [r.request_id, Number(r.n)]),
    );
  };
  const send = async (t: TestApp, ids: string[]) => {
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0)
        await request(t.app.getHttpServer())
          .get('/v1/audit-test/ok')
          .set('X-Request-Id', id)
          .expect(200);
      else
        await request(t.app.getHttpServer())
          .get(`/v1/nowhere/${i}`)
          .set('X-Request-Id', id)
          .expect(404);
    }
  };

  afterEach(async () => {
    for (const t of opened.splice(0)) await t.app.close().catch(() => undefined);
  });
  afterAll(async () => {
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('flushes what is queued on a graceful close', async () => {
    const a = await boot({});
    const ids = Array.from({ length: 7 }, (_, i) => `close-${i}`);
    await send(a, ids);
    expect(a.app.get(AuditWriter).stats()).toMatchObject({ queueDepth: 7, inMemory: 7 });
    expect((await countIds(a, ids)).size).toBe(0);
    expect(spoolFiles(a)).toHaveLength(1);
    await a.app.close();
    expect(spoolFiles(a)).toEqual([]);
    const b = await boot({ DATABASE_SCHEMA: a.config.DATABASE_SCHEMA }, a.workDir);
    const counts = await countIds(b, ids);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    await b.app.close();
    await dropSchema(b.config);
  });

  it('replays the spool a crash left: missing records written, written ones not duplicated, a torn last line skipped, a request answered elsewhere since not audited twice', async () => {
    const a = await boot({});
    const ids = Array.from({ length: 6 }, (_, i) => `crash-${i}`);
    await send(a, ids);
    // The spool as a crash at this instant would leave it: nothing of it in the database yet.
    const snapshot = mkdtempSync(join(tmpdir(), 'audit-spool-'));
    workDirs.push(snapshot);
    cpSync(spoolDir(a), snapshot, { recursive: true });
    expect(await a.app.get(AuditWriter).drain(10000)).toBe(true);
    // Two records reached the database before the crash, four did not.
    const db = a.app.get(DataSource);
    await db.query(
      `DELETE FROM audit_record WHERE request_id IN (${ids
        .slice(2)
        .map((id) => `'${id}'`)
        .join(',')})`,
    );
    // Meanwhile another replica answered crash-2 again (a load balancer's retry of a request this
    // process never answered): that record stays, the replayed one is skipped. crash-4's id on
    // another URL is another request: both stay.
    const spooled = readdirSync(snapshot).flatMap((f) =>
      readFileSync(join(snapshot, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditRecordData),
    );
    const spooledOf = (id: string) => spooled.find((r) => r.requestId === id)!;
    const later = new Date(Date.parse(spooledOf('crash-2').occurredAt) + 40).toISOString();
    await a.app.get(AuditRepository).insertIgnore([
      { ...spooledOf('crash-2'), id: randomUUID(), occurredAt: later },
      { ...spooledOf('crash-4'), id: randomUUID(), url: '/v1/audit-test/other' },
    ]);
    await a.app.close();
    cpSync(snapshot, spoolDir(a), { recursive: true });
    const [segment] = readdirSync(spoolDir(a));
    appendFileSync(join(spoolDir(a), segment), '{"id":"a-record-cut-by-a-power-loss');

    const b = await boot({ DATABASE_SCHEMA: a.config.DATABASE_SCHEMA }, a.workDir);
    const writer = b.app.get(AuditWriter);
    expect(await writer.drain(10000)).toBe(true);
    const counts = await countIds(b, ids);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map((id) => (id === 'crash-4' ? 2 : 1)));
    expect(writer.stats()).toMatchObject({
      unreadable: 1,
      answeredElsewhere: 1,
      queueDepth: 0,
      spoolBytes: 0,
    });
    expect(spoolFiles(b)).toEqual([]);
    await b.app.close();
    await dropSchema(b.config);
  });

  it('keeps answering while the database is away, and writes everything once it is back', async () => {
    const a = await boot({ AUDIT_FLUSH_INTERVAL_MS: '20', AUDIT_BATCH_SIZE: '3' });
    const repo = a.app.get(AuditRepository);
    const outage = jest
      .spyOn(repo, 'insertIgnore')
      .mockRejectedValue(new Error('connection terminated'));
    const ids = Array.from({ length: 10 }, (_, i) => `outage-${i}`);
    await send(a, ids);
    await new Promise((r) => setTimeout(r, 150));
    const during = a.app.get(AuditWriter).stats();
    expect(during.failedWrites).toBeGreaterThan(0);
    expect(during.queueDepth).toBe(10);
    expect(during.spoolBytes).toBeGreaterThan(0);
    expect(during.lastError).toBe('connection terminated');
    outage.mockRestore();
    expect(await a.app.get(AuditWriter).drain(15000)).toBe(true);
    const counts = await countIds(a, ids);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    expect(spoolFiles(a)).toEqual([]);
    await a.app.close();
    await dropSchema(a.config);
  });

  it('leaves what the database could not take at shutdown in the spool, and writes it on the next start', async () => {
    const a = await boot({ AUDIT_SHUTDOWN_FLUSH_MS: '200' });
    jest
      .spyOn(a.app.get(AuditRepository), 'insertIgnore')
      .mockRejectedValue(new Error('database is away'));
    const ids = Array.from({ length: 5 }, (_, i) => `shutdown-${i}`);
    await send(a, ids);
    await a.app.close();
    expect(spoolFiles(a).length).toBeGreaterThan(0);
    const b = await boot({ DATABASE_SCHEMA: a.config.DATABASE_SCHEMA }, a.workDir);
    expect(await b.app.get(AuditWriter).drain(10000)).toBe(true);
    const counts = await countIds(b, ids);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    await b.app.close();
    await dropSchema(b.config);
  });

  it('shows a failing fdatasync in /metrics, and the record still reaches the database', async () => {
    const a = await boot({ AUDIT_SPOOL_FSYNC: 'true' });
    const fs = require('node:fs') as typeof import('node:fs');
    const sync = jest.spyOn(fs, 'fdatasyncSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    });
    try {
      await send(a, ['fsync-0', 'fsync-1', 'fsync-2']);
    } finally {
      sync.mockRestore();
    }
    const metrics = (await request(a.app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toContain('diamonds_audit_spool_errors_total{operation="sync"} 3\n');
    expect(metrics).toContain('diamonds_audit_spool_errors_total{operation="append"} 0\n');
    expect(metrics).toContain('diamonds_audit_records_dropped_total 0\n');
    expect(await a.app.get(AuditWriter).drain(10000)).toBe(true);
    const counts = await countIds(a, ['fsync-0', 'fsync-1', 'fsync-2']);
    expect([...counts.values()]).toEqual([1, 1, 1]);
    await a.app.close();
    await dropSchema(a.config);
  });
});
