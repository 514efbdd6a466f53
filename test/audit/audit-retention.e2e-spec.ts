import { SchedulerRegistry } from '@nestjs/schedule';
import { NIGHTLY_JOB, NightlyScheduler } from '../../src/nightly/nightly.scheduler';
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
    // Retraining is off in the test app: the nightly job is scheduled for the retention alone.
    expect(t.app.get(SchedulerRegistry).getCronJob(NIGHTLY_JOB)).toBeDefined();
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
    const night = await t.app.get(NightlyScheduler).runNightly(now);
    expect(night).toMatchObject({ retention: { rowsDeleted: 2 }, trainingRunId: null });
    const left = await repo.list({ from: new Date(0) }, 10);
    expect(left.map((r) => r.id).sort()).toEqual([
      '00000000-0000-4000-8000-000000000003',
      '00000000-0000-4000-8000-000000000004',
    ]);
  });

  it('keeps everything by default (0 days): the nightly job leaves the records alone', async () => {
    t = await createTestApp();
    // SQLite, retraining off, no retention: the nightly job has nothing to do and is not scheduled.
    if (ENGINE === 'sqlite')
      expect(() => t.app.get(SchedulerRegistry).getCronJob(NIGHTLY_JOB)).toThrow();
    expect((await t.app.get(NightlyScheduler).runNightly()).retention).toBeNull();
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
