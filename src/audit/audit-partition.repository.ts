import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PartitionInfo } from './audit-partitions';

/** Serialises partition upkeep between instances sharing a schema (key, hashtext(schema)). */
const PARTITION_LOCK_KEY = 727_015;
const DEFAULT_PARTITION = 'audit_record_default';

/**
 * The PostgreSQL side of the audit table's partitions: lists them with their bounds, creates and
 * drops them. Only used on PostgreSQL (SQLite keeps one table); AuditPartitionService decides.
 */
@Injectable()
export class AuditPartitionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  isPartitioned(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /** The bounded partitions (and the legacy one, from MINVALUE), oldest first; the default partition is left out. */
  async list(manager: EntityManager = this.dataSource.manager): Promise<PartitionInfo[]> {
    const rows = (await manager.query(
      `SELECT c.relname AS name,
              (extract(epoch FROM substring(pg_get_expr(c.relpartbound, c.oid)
                 FROM 'FROM \\(''([^'']+)''\\)')::timestamptz) * 1000)::float8 AS from_ms,
              (extract(epoch FROM substring(pg_get_expr(c.relpartbound, c.oid)
                 FROM 'TO \\(''([^'']+)''\\)')::timestamptz) * 1000)::float8 AS to_ms
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_record'::regclass
          AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'`,
    )) as { name: string; from_ms: number | null; to_ms: number | null }[];
    return rows
      .map((r) => ({
        name: r.name,
        from: r.from_ms === null ? null : Number(r.from_ms),
        to: r.to_ms === null ? null : Number(r.to_ms),
      }))
      .sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity));
  }

  /**
   * Creates the partitions (under a lock shared by every instance, re-reading what exists inside
   * it). Rows the default partition took for one of these ranges are moved into it in the same
   * transaction, since PostgreSQL refuses a new partition whose rows sit in the default one.
   * Returns the names created.
   */
  async create(plan: (existing: PartitionInfo[]) => PartitionInfo[]): Promise<string[]> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [
        PARTITION_LOCK_KEY,
      ]);
      const created: string[] = [];
      for (const p of plan(await this.list(m))) {
        const from = new Date(p.from as number).toISOString();
        const to = new Date(p.to as number).toISOString();
        const [{ stray }] = (await m.query(
          `SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION}
             WHERE occurred_at >= $1 AND occurred_at < $2) AS stray`,
          [from, to],
        )) as { stray: boolean }[];
        if (!stray) {
          await m.query(
            `CREATE TABLE ${p.name} PARTITION OF audit_record FOR VALUES FROM ('${from}') TO ('${to}')`,
          );
        } else {
          await m.query(
            `CREATE TABLE ${p.name} (LIKE audit_record INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
          );
          await m.query(
            `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION}
                WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)
             INSERT INTO ${p.name} SELECT * FROM moved`,
            [from, to],
          );
          await m.query(
            `ALTER TABLE audit_record ATTACH PARTITION ${p.name} FOR VALUES FROM ('${from}') TO ('${to}')`,
          );
        }
        created.push(p.name);
      }
      return created;
    });
  }

  /** Drops whole partitions (a catalog change: no row is read). */
  async drop(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [
        PARTITION_LOCK_KEY,
      ]);
      const present = new Set((await this.list(m)).map((p) => p.name));
      for (const name of names) if (present.has(name)) await m.query(`DROP TABLE ${name}`);
    });
  }

  /** Rows of the default partition older than the cutoff (normally none: it only holds strays). */
  async deleteDefaultOlderThan(cutoff: Date): Promise<number> {
    const [, count] = (await this.dataSource.query(
      `DELETE FROM ${DEFAULT_PARTITION} WHERE occurred_at < $1`,
      [cutoff.toISOString()],
    )) as [unknown, number];
    return Number(count ?? 0);
  }

  /** Start of the oldest partition's range; for the legacy partition (from MINVALUE), its oldest record. */
  async oldestStart(partitions: PartitionInfo[]): Promise<number | null> {
    const oldest = partitions[0];
    if (!oldest) return null;
    if (oldest.from !== null) return oldest.from;
    const [{ at }] = (await this.dataSource.query(
      `SELECT min(occurred_at) AS at FROM ${oldest.name}`,
    )) as { at: Date | null }[];
    return at ? new Date(at).getTime() : null;
  }
}
