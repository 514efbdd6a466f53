import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditFilter, AuditRepository } from '../../src/audit/audit.repository';
import { AuditRecordData } from '../../src/audit/audit-record';
import { AuditPartitionService } from '../../src/audit/audit-partition.service';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditRecordEntity } from '../../src/audit/entities/audit-record.entity';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { createTestApp, dropSchema, ENGINE, TestApp, testEnv } from '../support/test-app';

const DAY = 24 * 60 * 60 * 1000;
const ROUTES = ['/v1/prices', '/v1/predictions', '/v1/admin/models', null];

function record(i: number, occurredAt: Date): AuditRecordData {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    requestId: `req-${i % 50}`,
    occurredAt: occurredAt.toISOString(),
    method: i % 3 === 0 ? 'POST' : 'GET',
    route: ROUTES[i % ROUTES.length],
    url: `/v1/prices?i=${i}`,
    query: i % 2 ? { i: String(i) } : null,
    requestBody: null,
    status: [200, 400, 404, 500][i % 4],
    responseBody: '{"ok":true}',
    durationMs: i / 10,
    clientIp: '127.0.0.1',
    userAgent: 'jest',
    modelFamily: i % 5 === 0 ? 'xgboost' : null,
    modelVersion: i % 5 === 0 ? (i % 2) + 1 : null,
    errorMessage: null,
  };
}

const FILTERS: AuditFilter[] = [
  {},
  { route: '/v1/prices' },
  { status: 404 },
  { requestId: 'req-7' },
  { modelFamily: 'xgboost', modelVersion: 2 },
  { from: new Date(Date.now() - 3 * DAY), to: new Date(Date.now() - DAY) },
];

/** Every page of every filter, as the admin endpoint would walk them (ids only). */
async function snapshot(repo: AuditRepository): Promise<string[][]> {
  const out: string[][] = [];
  for (const filter of FILTERS) {
    const ids: string[] = [];
    let after: { occurredAt: Date; id: string } | undefined;
    for (;;) {
      const rows = await repo.list(filter, 37, after);
      ids.push(...rows.map((r) => r.id));
      if (rows.length < 37) break;
      const last = rows[rows.length - 1];
      after = { occurredAt: new Date(last.occurredAt), id: last.id };
    }
    out.push(ids);
  }
  return out;
}

describe(`Audit partition migration (${ENGINE})`, () => {
  it('keeps every row and answers every query the same after moving to partitions', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'diamonds-partition-'));
    const config = loadConfig({ ...process.env, ...testEnv(workDir) });
    if (config.DATABASE_URL) {
      const client = new Client({ connectionString: config.DATABASE_URL });
      await client.connect();
      await client.query(`CREATE SCHEMA "${config.DATABASE_SCHEMA}"`);
      await client.end();
    }
    const before = MIGRATIONS.findIndex((m) => m.name === 'AuditRecordPartitions1764500000000');
    const open = (migrations: typeof MIGRATIONS) =>
      new DataSource({
        ...databaseOptions(config),
        migrations,
        entities: [AuditRecordEntity],
      }).initialize();
    let ds = await open(MIGRATIONS.slice(0, before));
    try {
      await ds.runMigrations();
      // 400 records over the last ten days, written as the old table's writer did.
      const now = Date.now();
      const records = Array.from({ length: 400 }, (_, i) =>
        record(i, new Date(now - ((i * 7919) % (10 * DAY)))),
      );
      const pg = ENGINE === 'postgres';
      for (const r of records)
        await ds.query(
          `INSERT INTO audit_record (id, request_id, occurred_at, method, route, url, query, status, duration_ms, model_family, model_version)
           VALUES (${Array.from({ length: 11 }, (_, k) => (pg ? `$${k + 1}` : '?')).join(',')})`,
          [
            r.id,
            r.requestId,
            pg ? r.occurredAt : r.occurredAt.replace('T', ' ').replace('Z', ''),
            r.method,
            r.route,
            r.url,
            r.query === null ? null : JSON.stringify(r.query),
            r.status,
            r.durationMs,
            r.modelFamily,
            r.modelVersion,
          ],
        );
      const pages = await snapshot(new AuditRepository(ds));
      expect(pages[0]).toHaveLength(400);
      await ds.destroy();

      ds = await open(MIGRATIONS);
      // The partition migration, then every later one.
      expect((await ds.runMigrations()).map((m) => m.name)).toEqual(
        MIGRATIONS.slice(before).map((m) => m.name),
      );
      expect(MIGRATIONS[before].name).toBe('AuditRecordPartitions1764500000000');
      const repo = new AuditRepository(ds);
      expect(await repo.count()).toBe(400);
      expect(await snapshot(repo)).toEqual(pages);
      // A replayed spool inserts nothing twice; a new record still goes in.
      await repo.insertIgnore(records.slice(0, 100));
      await repo.insertIgnore([record(1000, new Date())]);
      expect(await repo.count()).toBe(401);
      if (pg) {
        const parts = (await ds.query(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'audit_record'::regclass ORDER BY 1`,
        )) as { name: string }[];
        expect(parts.map((p) => p.name)).toEqual(['audit_record_default', 'audit_record_legacy']);
        const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM audit_record_legacy`)) as {
          n: number;
        }[];
        expect(n).toBe(401);
        // The parent's six indexes (key included), none left over from the old table's shape
        // (the request id's a hash index since migration 1766200000000).
        const indexes = (await ds.query(
          `SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_record_legacy' ORDER BY 1`,
        )) as { indexdef: string }[];
        expect(indexes.map((i) => i.indexdef.replace(/^.* USING /, '')).sort()).toEqual([
          'btree (id, occurred_at)',
          'btree (model_family, model_version, occurred_at, id)',
          'btree (occurred_at, id)',
          'btree (route, occurred_at, id)',
          'btree (status, occurred_at, id)',
          'hash (request_id)',
        ]);
      }
      // And back: one plain table again, every row kept, the same pages.
      await ds.undoLastMigration({ transaction: 'each' });
      expect(await repo.count()).toBe(401);
      await ds.query(`DELETE FROM audit_record WHERE id = ${pg ? '$1' : '?'}`, [
        record(1000, new Date()).id,
      ]);
      expect(await snapshot(repo)).toEqual(pages);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await dropSchema(config);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

const describePg = ENGINE === 'postgres' ? describe : describe.skip;
if (ENGINE !== 'postgres')
  console.log('Audit partition upkeep tests skipped: SQLite keeps one audit table');

describePg('Audit partition upkeep (postgres)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  const partitionOf = async (id: string): Promise<string> => {
    const ds = t.app.get(DataSource);
    const [row] = (await ds.query(
      `SELECT tableoid::regclass::text AS part FROM audit_record WHERE id = $1`,
      [id],
    )) as { part: string }[];
    return row.part.replace(/^.*\./, '');
  };

  it('makes partitions ahead at start, moves strays out of the default one, and drops whole days', async () => {
    t = await createTestApp({ AUDIT_PARTITIONS_AHEAD: '3', AUDIT_RETENTION_DAYS: '7' });
    const service = t.app.get(AuditPartitionService);
    const repo = t.app.get(AuditRepository);
    const today = new Date();
    const day = (offset: number) =>
      new Date(
        Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset, 12),
      );
    const names = (await service.list()).map((p) => p.name);
    expect(names).toHaveLength(4);
    expect(names[0]).toBe(`audit_record_p${day(0).toISOString().slice(0, 10).replace(/-/g, '')}`);

    // A record ten days back has no partition yet: the default one keeps it, nothing fails.
    await repo.insertIgnore([record(1, day(-10)), record(2, day(-9)), record(3, day(0))]);
    expect(await partitionOf(record(1, day(-10)).id)).toBe('audit_record_default');
    expect(await partitionOf(record(3, day(0)).id)).toBe(names[0]);

    // As if the app had run ten days ago: days -10 .. -7 are made; the strays move in.
    const created = await service.ensureAhead(day(-10));
    expect(created).toHaveLength(4);
    expect(await partitionOf(record(1, day(-10)).id)).toMatch(/^audit_record_p\d{8}$/);
    expect(await repo.count()).toBe(3);

    // Retention of 7 days drops the partitions of days -10 .. -8 whole, and nothing else.
    const result = await t.app.get(AuditRetentionService).purge(day(0));
    expect(result.partitionsDropped).toHaveLength(3);
    expect((await repo.list({}, 10)).map((r) => r.id)).toEqual([record(3, day(0)).id]);
    expect(await service.stats()).toEqual({
      count: 5,
      oldestStart: day(-7).getTime() - 12 * 3600 * 1000,
    });
  });
});
