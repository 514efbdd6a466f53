import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { UNMATCHED_ROUTE } from '../common/request-context';
import { AuditRecordData } from './audit-record';
import type { AuditSink } from './audit-writer';
import { AuditRecordEntity } from './entities/audit-record.entity';

export interface AuditFilter {
  route?: string;
  status?: number;
  from?: Date;
  to?: Date;
  requestId?: string;
  modelFamily?: string;
  modelVersion?: number;
}

export interface AuditCursor {
  occurredAt: Date;
  id: string;
}

const DELETE_CHUNK = 5000;
const INSERT_COLUMNS =
  'id, request_id, occurred_at, method, route, url, query, request_body, status, response_body, duration_ms, client_ip, user_agent, model_family, model_version, error_message';

/** The record's fields (AuditRecordData, as its spool line spells them) and their column types, in INSERT_COLUMNS order. */
const JSON_FIELDS = [
  ['id', 'varchar'],
  ['requestId', 'varchar'],
  ['occurredAt', 'timestamptz'],
  ['method', 'varchar'],
  ['route', 'varchar'],
  ['url', 'varchar'],
  ['query', 'jsonb'],
  ['requestBody', 'text'],
  ['status', 'integer'],
  ['responseBody', 'text'],
  ['durationMs', 'double precision'],
  ['clientIp', 'varchar'],
  ['userAgent', 'varchar'],
  ['modelFamily', 'varchar'],
  ['modelVersion', 'integer'],
  ['errorMessage', 'text'],
] as const;

/**
 * PostgreSQL, a batch: the records' spool lines as one JSON array parameter, taken apart by
 * json_to_recordset. One short statement and one parameter instead of 16 per record: PostgreSQL
 * spends about a third less CPU per record than on a VALUES list of 500 rows (measured on this
 * table with its indexes), and the API's process sends text it already has.
 */
export const insertFromJsonInto = (table: string): string =>
  `INSERT INTO ${table} (${INSERT_COLUMNS}) ` +
  `SELECT ${JSON_FIELDS.map(([field]) => `"${field}"`).join(', ')} ` +
  `FROM json_to_recordset($1::json) AS r(${JSON_FIELDS.map(([field, type]) => `"${field}" ${type}`).join(', ')}) ` +
  'ON CONFLICT (id, occurred_at) DO NOTHING';
const INSERT_FROM_JSON = insertFromJsonInto('audit_record');

/**
 * How far apart in time a dead run's record and another replica's record of the same request may
 * be: nginx retries at once on an error, at worst after `proxy_read_timeout` (120 s).
 */
const RETRY_WINDOW_MS = 5 * 60_000;

/** The text TypeORM stores for a SQLite datetime column (UTC, 'YYYY-MM-DD HH:MM:SS.SSS'), so comparisons with its parameters hold. */
function sqliteDate(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

/** Epoch ms of an occurred_at as a driver returns it (a Date on PostgreSQL, SQLite's UTC text). */
function storedTime(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(`${value.replace(' ', 'T')}Z`);
}

/** The only place that reads and writes the audit_record table. */
@Injectable()
export class AuditRepository implements AuditSink {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  ready(): boolean {
    return this.dataSource.isInitialized;
  }

  /** PostgreSQL data, constraint or syntax errors (SQLSTATE classes 22, 23, 42) and SQLite's equivalents: retrying cannot help. */
  isPermanentError(err: unknown): boolean {
    if (!(err instanceof QueryFailedError)) return false;
    const e = err as QueryFailedError & { code?: string; driverError?: { code?: string } };
    const code = String(e.driverError?.code ?? e.code ?? '');
    return (
      /^(22|23|42)[0-9A-Z]{3}$/.test(code) ||
      /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)
    );
  }

  /**
   * One multi-row INSERT that skips ids already present (ON CONFLICT DO NOTHING / INSERT OR
   * IGNORE). On PostgreSQL the key is (id, occurred_at), as a partitioned table's must hold the
   * partition key; a replayed record brings both from the spool, so a replay is still a no-op. Built by hand through the TypeORM data source: TypeORM's insert builder spends more
   * CPU per row than everything else the audit does, on the same event loop as the API.
   */
  async insertIgnore(records: AuditRecordData[], lines?: string[]): Promise<void> {
    if (records.length === 0) return;
    const pg = this.dataSource.options.type === 'postgres';
    if (pg && lines && lines.length === records.length && records.length > 1) {
      await this.dataSource.query(INSERT_FROM_JSON, [`[${lines.join(',')}]`]);
      return;
    }
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const r of records) {
      const at = pg ? r.occurredAt : sqliteDate(r.occurredAt);
      const values = [
        r.id,
        r.requestId,
        at,
        r.method,
        r.route,
        r.url,
        r.query === null ? null : JSON.stringify(r.query),
        r.requestBody,
        r.status,
        r.responseBody,
        r.durationMs,
        r.clientIp,
        r.userAgent,
        r.modelFamily,
        r.modelVersion,
        r.errorMessage,
      ];
      const marks = values.map((v) => {
        params.push(v);
        return pg ? `$${params.length}` : '?';
      });
      tuples.push(`(${marks.join(',')})`);
    }
    const sql = `INSERT ${pg ? '' : 'OR IGNORE '}INTO audit_record (${INSERT_COLUMNS}) VALUES ${tuples.join(',')}${pg ? ' ON CONFLICT (id, occurred_at) DO NOTHING' : ''}`;
    await this.dataSource.query(sql, params);
  }

  /**
   * Of these records, the ids of those whose request is already audited under another record id:
   * the same request id, method, URL and body, arrived within RETRY_WINDOW_MS of it (one query on
   * ix_audit_record_request_id, bounded in time so PostgreSQL reads only the partitions of the
   * window). Used on replay of a dead run's spool (see AuditSink.answeredElsewhere).
   */
  async answeredElsewhere(records: AuditRecordData[]): Promise<Set<string>> {
    const twins = new Set<string>();
    if (records.length === 0) return twins;
    const pg = this.dataSource.options.type === 'postgres';
    const times = records.map((r) => Date.parse(r.occurredAt));
    const from = new Date(Math.min(...times) - RETRY_WINDOW_MS).toISOString();
    const to = new Date(Math.max(...times) + RETRY_WINDOW_MS).toISOString();
    const requestIds = [...new Set(records.map((r) => r.requestId))];
    const columns = 'id, request_id, occurred_at, method, url, request_body';
    const rows: {
      id: string;
      request_id: string;
      occurred_at: Date | string;
      method: string;
      url: string;
      request_body: string | null;
    }[] = pg
      ? await this.dataSource.query(
          `SELECT ${columns} FROM audit_record WHERE request_id = ANY($1) AND occurred_at >= $2 AND occurred_at < $3`,
          [requestIds, from, to],
        )
      : await this.dataSource.query(
          `SELECT ${columns} FROM audit_record WHERE request_id IN (${requestIds.map(() => '?').join(',')}) AND occurred_at >= ? AND occurred_at < ?`,
          [...requestIds, sqliteDate(from), sqliteDate(to)],
        );
    const byRequest = new Map<string, typeof rows>();
    for (const row of rows) {
      const list = byRequest.get(row.request_id) ?? [];
      list.push(row);
      byRequest.set(row.request_id, list);
    }
    records.forEach((r, i) => {
      const twin = byRequest
        .get(r.requestId)
        ?.some(
          (row) =>
            row.id !== r.id &&
            row.method === r.method &&
            row.url === r.url &&
            (row.request_body ?? null) === (r.requestBody ?? null) &&
            Math.abs(storedTime(row.occurred_at) - times[i]) <= RETRY_WINDOW_MS,
        );
      if (twin) twins.add(r.id);
    });
    return twins;
  }

  /** Newest first, (occurred_at, id) descending; `limit` rows after the cursor. */
  list(filter: AuditFilter, limit: number, after?: AuditCursor): Promise<AuditRecordEntity[]> {
    const qb = this.dataSource.getRepository(AuditRecordEntity).createQueryBuilder('a');
    if (filter.route !== undefined) qb.andWhere('a.route = :route', { route: filter.route });
    if (filter.status !== undefined) qb.andWhere('a.status = :status', { status: filter.status });
    if (filter.from) qb.andWhere('a.occurredAt >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('a.occurredAt < :to', { to: filter.to });
    if (filter.requestId !== undefined)
      qb.andWhere('a.requestId = :requestId', { requestId: filter.requestId });
    if (filter.modelFamily !== undefined)
      qb.andWhere('a.modelFamily = :modelFamily', { modelFamily: filter.modelFamily });
    if (filter.modelVersion !== undefined)
      qb.andWhere('a.modelVersion = :modelVersion', { modelVersion: filter.modelVersion });
    if (after) {
      qb.andWhere('(a.occurredAt < :cursorAt OR (a.occurredAt = :cursorAt AND a.id < :cursorId))', {
        cursorAt: after.occurredAt,
        cursorId: after.id,
      });
    }
    return qb.orderBy('a.occurredAt', 'DESC').addOrderBy('a.id', 'DESC').limit(limit).getMany();
  }

  findById(id: string): Promise<AuditRecordEntity | null> {
    return this.dataSource.getRepository(AuditRecordEntity).findOneBy({ id });
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(AuditRecordEntity).count();
  }

  async volumeByRouteAndStatus(
    since: Date,
  ): Promise<{ route: string; status: number; count: number }[]> {
    const rows = await this.dataSource
      .getRepository(AuditRecordEntity)
      .createQueryBuilder('a')
      .select('a.route', 'route')
      .addSelect('a.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .where('a.occurredAt >= :since', { since })
      .groupBy('a.route')
      .addGroupBy('a.status')
      .orderBy('count', 'DESC')
      .getRawMany<{ route: string | null; status: number | string; count: number | string }>();
    return rows.map((r) => ({
      route: r.route ?? UNMATCHED_ROUTE,
      status: Number(r.status),
      count: Number(r.count),
    }));
  }

  /** Deletes records older than the cutoff in chunks, so a large purge never holds a long lock. */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.dataSource
        .getRepository(AuditRecordEntity)
        .createQueryBuilder('a')
        .select('a.id', 'id')
        .where('a.occurredAt < :cutoff', { cutoff })
        .limit(DELETE_CHUNK)
        .getRawMany<{ id: string }>();
      if (ids.length === 0) return total;
      await this.dataSource.getRepository(AuditRecordEntity).delete(ids.map((r) => r.id));
      total += ids.length;
    }
  }
}
