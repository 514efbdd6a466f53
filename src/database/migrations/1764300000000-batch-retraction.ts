import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey } from 'typeorm';
import { migrationTypes } from '../migration-types';

/** A batch can be retracted: its rows leave the dataset (kept for the record), the act in a ledger. */
export class BatchRetraction1764300000000 implements MigrationInterface {
  name = 'BatchRetraction1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.addColumn(
      'ingestion_batch',
      new TableColumn({ name: 'retracted_at', type: t.date, isNullable: true }),
    );
    await q.createTable(
      new Table({
        name: 'batch_retraction',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'batch_id', type: 'integer' },
          { name: 'reason', type: 'varchar', length: '500' },
          { name: 'actor', type: 'varchar', length: '100' },
          { name: 'rows_removed', type: 'integer' },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_batch_retraction_batch',
            columnNames: ['batch_id'],
            referencedTableName: 'ingestion_batch',
            referencedColumnNames: ['id'],
          }),
        ],
        indices: [{ name: 'uq_batch_retraction_batch', columnNames: ['batch_id'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('batch_retraction');
    await q.dropColumn('ingestion_batch', 'retracted_at');
  }
}
