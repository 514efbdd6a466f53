import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each filter's index ends with (occurred_at, id), the pages' whole order. With occurred_at
 * alone, a filtered first page on a partition whose statistics lag (today's, still growing)
 * was planned as a backward scan of the time index with a filter, reading every row of the
 * partition when none matched (200 ms at 200,000 rows, measured by bench:audit): a fully
 * ordered filter index is both the cheapest start and the cheapest total, whatever the stats.
 */
const INDEXES: [string, string][] = [
  ['ix_audit_record_occurred_at', '(occurred_at, id)'],
  ['ix_audit_record_route', '(route, occurred_at, id)'],
  ['ix_audit_record_status', '(status, occurred_at, id)'],
  ['ix_audit_record_request_id', '(request_id)'],
  ['ix_audit_record_model', '(model_family, model_version, occurred_at, id)'],
];
/** Indexes of the table before partitioning that the partitioned table defines otherwise. */
const REPLACED = ['ix_audit_record_route', 'ix_audit_record_status', 'ix_audit_record_model'];

/**
 * PostgreSQL: audit_record becomes a table partitioned by range of occurred_at, so retention
 * drops whole partitions instead of deleting rows. The existing table is not copied: it is
 * renamed and attached as the partition `audit_record_legacy`, covering everything up to the end
 * of the current day (its indexes of the same shape become the partition's own; the three that
 * gain a trailing id are built once, here), and dropped by retention once its
 * newest record is past it. An empty table is simply replaced. A default partition catches a
 * record whose range has no partition yet, so no insert ever fails for its date;
 * AuditPartitionRepository makes the partitions ahead and moves such rows out.
 *
 * The primary key becomes (id, occurred_at): PostgreSQL requires the partition key in every
 * unique constraint. A replayed record carries both its id and its time from the spool, so the
 * writer's ON CONFLICT (id, occurred_at) DO NOTHING still turns a replay into a no-op.
 *
 * SQLite keeps its single table: nothing to do there.
 */
export class AuditRecordPartitions1764500000000 implements MigrationInterface {
  name = 'AuditRecordPartitions1764500000000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    const [{ has_rows: hasRows, newest }] = (await q.query(
      `SELECT EXISTS (SELECT 1 FROM audit_record) AS has_rows,
              (SELECT max(occurred_at) FROM audit_record) AS newest`,
    )) as { has_rows: boolean; newest: Date | null }[];
    const [{ pk }] = (await q.query(
      `SELECT conname AS pk FROM pg_constraint
        WHERE conrelid = 'audit_record'::regclass AND contype = 'p'`,
    )) as { pk: string }[];
    if (hasRows) {
      await q.query(`ALTER TABLE audit_record RENAME TO audit_record_legacy`);
      await q.query(`ALTER TABLE audit_record_legacy DROP CONSTRAINT "${pk}"`);
      for (const [name] of INDEXES)
        await q.query(`ALTER INDEX ${name} RENAME TO ${name.replace('ix_', 'ix_legacy_')}`);
    } else {
      await q.query(`DROP TABLE audit_record`);
    }
    await q.query(`
      CREATE TABLE audit_record (
        id varchar(36) NOT NULL,
        request_id varchar(128) NOT NULL,
        occurred_at timestamptz NOT NULL,
        method varchar(10) NOT NULL,
        route varchar(300),
        url varchar(2048) NOT NULL,
        query jsonb,
        request_body text,
        status integer NOT NULL,
        response_body text,
        duration_ms double precision NOT NULL,
        client_ip varchar(64),
        user_agent varchar(512),
        model_family varchar(64),
        model_version integer,
        error_message text,
        CONSTRAINT pk_audit_record PRIMARY KEY (id, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    for (const [name, columns] of INDEXES)
      await q.query(`CREATE INDEX ${name} ON audit_record ${columns}`);
    await q.query(`CREATE TABLE audit_record_default PARTITION OF audit_record DEFAULT`);
    if (hasRows) {
      // Up to the end of the later of today and the newest record (UTC days).
      const upTo = new Date(Math.max(Date.now(), newest ? new Date(newest).getTime() : 0));
      const bound = new Date(
        Date.UTC(upTo.getUTCFullYear(), upTo.getUTCMonth(), upTo.getUTCDate() + 1),
      );
      await q.query(
        `ALTER TABLE audit_record ATTACH PARTITION audit_record_legacy
           FOR VALUES FROM (MINVALUE) TO ('${bound.toISOString()}')`,
      );
      // ATTACH adopted the old indexes that match and built the others; the old ones of
      // another shape would only slow the legacy partition's inserts.
      for (const name of REPLACED) await q.query(`DROP INDEX ${name.replace('ix_', 'ix_legacy_')}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    // Back to one plain table holding every row.
    await q.query(`ALTER TABLE audit_record RENAME TO audit_record_partitioned`);
    for (const [name] of INDEXES)
      await q.query(`ALTER INDEX ${name} RENAME TO ${name.replace('ix_', 'ix_partitioned_')}`);
    await q.query(
      `ALTER TABLE audit_record_partitioned RENAME CONSTRAINT pk_audit_record TO pk_audit_record_partitioned`,
    );
    await q.query(
      `CREATE TABLE audit_record (LIKE audit_record_partitioned INCLUDING DEFAULTS, PRIMARY KEY (id))`,
    );
    await q.query(`INSERT INTO audit_record SELECT * FROM audit_record_partitioned`);
    await q.query(`DROP TABLE audit_record_partitioned CASCADE`);
    for (const [name, columns] of INDEXES)
      await q.query(`CREATE INDEX ${name} ON audit_record ${columns}`);
  }
}
