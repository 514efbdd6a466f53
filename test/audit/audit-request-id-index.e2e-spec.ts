import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../../src/audit/audit.repository';
import { AuditRecordData } from '../../src/audit/audit-record';
import { AuditRecordEntity } from '../../src/audit/entities/audit-record.entity';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { MIGRATIONS } from '../../src/database/migrations';
import { dropSchema, ENGINE, testEnv } from '../support/test-app';

const MIGRATION = 'AuditRequestIdHash1766200000000';

function record(i: number, requestId: string): AuditRecordData {
  return {
    id: randomUUID(),
    requestId,
    occurredAt: new Date(Date.now() - i * 1000).toISOString(),
    method: 'POST',
    route: '/v1/prices',
    url: '/v1/prices',
    query: null,
    requestBody: null,
    status: 200,
    responseBody: '{"ok":true}',
    durationMs: 1,
    clientIp: '127.0.0.1',
    userAgent: 'jest',
    modelFamily: null,
    modelVersion: null,
    errorMessage: null,
  };
}

describe(`Audit request id index migration (${ENGINE})`, () => {
  it('makes the request id index a hash index on PostgreSQL (a B-tree again when undone); lookups answer the same', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'diamonds-request-id-'));
    const config = loadConfig({ ...process.env, ...testEnv(workDir) });
    const pg = ENGINE === 'postgres';
    if (pg) {
      const client = new Client({ connectionString: config.DATABASE_URL });
      await client.connect();
      await client.query(`CREATE SCHEMA "${config.DATABASE_SCHEMA}"`);
      await client.end();
    }
    const ds = await new DataSource({
      ...databaseOptions(config),
      migrations: MIGRATIONS,
      entities: [AuditRecordEntity],
    }).initialize();
    // Every index on the request id, on the table and (PostgreSQL) its partitions, by method.
    const methods = async (): Promise<string[]> =>
      pg
        ? (
            (await ds.query(
              `SELECT DISTINCT am.amname AS method FROM pg_index x
                 JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
                 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
                 JOIN pg_class t ON t.oid = x.indrelid
                WHERE a.attname = 'request_id' AND t.relname LIKE 'audit\\_record%'
                  AND i.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)`,
              [config.DATABASE_SCHEMA],
            )) as { method: string }[]
          ).map((r) => r.method)
        : (
            (await ds.query(`SELECT name FROM pragma_index_list('audit_record')`)) as {
              name: string;
            }[]
          )
            .filter((r) => r.name === 'ix_audit_record_request_id')
            .map(() => 'btree');
    try {
      expect((await ds.runMigrations()).map((m) => m.name)).toContain(MIGRATION);
      expect(MIGRATIONS[MIGRATIONS.length - 1].name).toBe(MIGRATION);
      expect(await methods()).toEqual([pg ? 'hash' : 'btree']);
      const repo = new AuditRepository(ds);
      const records = Array.from({ length: 60 }, (_, i) => record(i, `req-${i % 20}`));
      await repo.insertIgnore(
        records,
        records.map((r) => JSON.stringify(r)),
      );
      const lookup = async () => (await repo.list({ requestId: 'req-7' }, 10)).map((r) => r.id);
      const expected = records
        .filter((r) => r.requestId === 'req-7')
        .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))
        .map((r) => r.id);
      expect(await lookup()).toEqual(expected);
      if (pg) {
        // The lookups can use it, the replay's `= ANY` too (sequential scans priced out on this small table).
        for (const where of [`request_id = 'req-7'`, `request_id = ANY(ARRAY['req-7', 'req-8'])`]) {
          const plan = await ds.transaction(async (m) => {
            await m.query('SET LOCAL enable_seqscan = off');
            return (await m.query(`EXPLAIN SELECT id FROM audit_record WHERE ${where}`)) as {
              'QUERY PLAN': string;
            }[];
          });
          expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(
            /(Index Scan using|Bitmap Index Scan on) audit_record_\w*request_id/,
          );
        }
      }
      await ds.undoLastMigration();
      expect(await methods()).toEqual(['btree']);
      expect(await lookup()).toEqual(expected);
    } finally {
      await ds.destroy();
      await dropSchema(config);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
