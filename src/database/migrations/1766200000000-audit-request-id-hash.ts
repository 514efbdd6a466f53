import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgreSQL: the request id index of audit_record becomes a hash index. Request ids are random
 * (UUIDs, nginx's `$request_id`), so every insert into the B-tree landed on a random leaf page:
 * the most expensive of the table's six indexes for the audit writer (`npm run bench:audit-indexes`,
 * one run, the sets interleaved: the writer's statement at 1.30x its rate without this index, and
 * 1.31x with a hash index in its place). A hash index is a quarter of the size, and the one
 * query that uses it (`requestId=`, an equality whose few rows are then sorted) needs nothing more.
 * The filter indexes ending with (occurred_at, id) cost a few per cent each and keep every
 * filtered first page fast: they stay.
 *
 * Built on every partition, under a lock that holds the audit writer's inserts for the build
 * (the records wait in the instances' spools meanwhile). SQLite has no hash index and keeps its
 * B-tree: nothing to do there.
 */
export class AuditRequestIdHash1766200000000 implements MigrationInterface {
  name = 'AuditRequestIdHash1766200000000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query('DROP INDEX IF EXISTS ix_audit_record_request_id');
    await q.query(
      'CREATE INDEX ix_audit_record_request_id ON audit_record USING hash (request_id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query('DROP INDEX IF EXISTS ix_audit_record_request_id');
    await q.query('CREATE INDEX ix_audit_record_request_id ON audit_record (request_id)');
  }
}
