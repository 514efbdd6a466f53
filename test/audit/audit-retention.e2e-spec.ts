import { SchedulerRegistry } from '@nestjs/schedule';
import { AuditRecordData } from '../../src/audit/audit-record';
import { AuditRepository } from '../../src/audit/audit.repository';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const DAY = 24 * 60 * 60 * 1000;
const record = (id: string, occurredAt: Date): AuditRecordData => ({
  id,
  requestId: `retention-${id}`,
  occurredAt: occurredAt.toISOString(),
  method: 'GET',
  route: '/v1/prices',
  url: '/v1/prices',
  query: null,
  requestBody: null,
  status: 200,
  responseBody: null,
  durationMs: 1,
  clientIp: null,
  userAgent: null,
  modelFamily: null,
  modelVersion: null,
  errorMessage: null,
});

describe(`Audit retention (${ENGINE})`, () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('deletes records past AUDIT_RETENTION_DAYS at the nightly job and keeps the rest', async () => {
    t = await createTestApp({ AUDIT_RETENTION_DAYS: '7' });
    expect(t.app.get(SchedulerRegistry).getCronJob('audit-retention')).toBeDefined();
    const now = new Date('2026-06-15T03:00:00Z');
    const repo = t.app.get(AuditRepository);
    await repo.insertIgnore([
      record('00000000-0000-4000-8000-000000000001', new Date(now.getTime() - 30 * DAY)),
      record('00000000-0000-4000-8000-000000000002', new Date(now.getTime() - 7 * DAY - 1000)),
      record('00000000-0000-4000-8000-000000000003', new Date(now.getTime() - 7 * DAY + 1000)),
      record('00000000-0000-4000-8000-000000000004', new Date(now.getTime() - DAY)),
    ]);
    // On PostgreSQL no partition covers June (they are made from today on): these rows sit in
    // the default partition, where retention deletes them row by row, to the second.
    expect((await t.app.get(AuditRetentionService).purge(now)).rowsDeleted).toBe(2);
    const left = await repo.list({ from: new Date(0) }, 10);
    expect(left.map((r) => r.id).sort()).toEqual([
      '00000000-0000-4000-8000-000000000003',
      '00000000-0000-4000-8000-000000000004',
    ]);
  });

  it('keeps everything by default (0 days) and schedules nothing', async () => {
    t = await createTestApp();
    expect(() => t.app.get(SchedulerRegistry).getCronJob('audit-retention')).toThrow();
    await t.app
      .get(AuditRepository)
      .insertIgnore([
        record('00000000-0000-4000-8000-000000000009', new Date('2001-01-01T00:00:00Z')),
      ]);
    expect(await t.app.get(AuditRetentionService).purge()).toEqual({
      partitionsDropped: [],
      rowsDeleted: 0,
    });
    expect(await t.app.get(AuditRepository).count()).toBe(1);
  });
});
