import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { migrationTypes } from '../migration-types';

/** The audit trail: one row per API request, keyed by the UUID the recorder made before spooling it. */
export class AuditRecord1764201800000 implements MigrationInterface {
  name = 'AuditRecord1764201800000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'audit_record',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'request_id', type: 'varchar', length: '128' },
          { name: 'occurred_at', type: t.date },
          { name: 'method', type: 'varchar', length: '10' },
          { name: 'route', type: 'varchar', length: '300', isNullable: true },
          { name: 'url', type: 'varchar', length: '2048' },
          { name: 'query', type: t.json, isNullable: true },
          { name: 'request_body', type: 'text', isNullable: true },
          { name: 'status', type: 'integer' },
          { name: 'response_body', type: 'text', isNullable: true },
          { name: 'duration_ms', type: t.float },
          { name: 'client_ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_agent', type: 'varchar', length: '512', isNullable: true },
          { name: 'model_family', type: 'varchar', length: '64', isNullable: true },
          { name: 'model_version', type: 'integer', isNullable: true },
          { name: 'error_message', type: 'text', isNullable: true },
        ],
      }),
    );
    // Each index serves a filter of the query endpoint, ordered like its pages (newest first);
    // occurred_at alone also serves the time range and the retention purge.
    await q.createIndex(
      'audit_record',
      new TableIndex({ name: 'ix_audit_record_occurred_at', columnNames: ['occurred_at', 'id'] }),
    );
    await q.createIndex(
      'audit_record',
      new TableIndex({ name: 'ix_audit_record_route', columnNames: ['route', 'occurred_at'] }),
    );
    await q.createIndex(
      'audit_record',
      new TableIndex({ name: 'ix_audit_record_status', columnNames: ['status', 'occurred_at'] }),
    );
    await q.createIndex(
      'audit_record',
      new TableIndex({ name: 'ix_audit_record_request_id', columnNames: ['request_id'] }),
    );
    await q.createIndex(
      'audit_record',
      new TableIndex({
        name: 'ix_audit_record_model',
        columnNames: ['model_family', 'model_version', 'occurred_at'],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_record');
  }
}
