import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';
import { migrationTypes } from '../migration-types';

export class DiamondStore1764201600000 implements MigrationInterface {
  name = 'DiamondStore1764201600000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'ingestion_batch',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'source_name', type: 'varchar', length: '500' },
          { name: 'source_kind', type: 'varchar', length: '20' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'size_bytes', type: 'integer' },
          { name: 'accepted_count', type: 'integer' },
          { name: 'rejected_count', type: 'integer' },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        indices: [{ name: 'uq_ingestion_batch_sha256', columnNames: ['sha256'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'diamond',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'batch_id', type: 'integer' },
          { name: 'line_number', type: 'integer' },
          { name: 'carat', type: t.float },
          { name: 'cut', type: 'varchar', length: '16' },
          { name: 'color', type: 'varchar', length: '1' },
          { name: 'clarity', type: 'varchar', length: '4' },
          { name: 'depth', type: t.float },
          { name: 'table_pct', type: t.float },
          { name: 'price', type: t.float },
          { name: 'x', type: t.float },
          { name: 'y', type: t.float },
          { name: 'z', type: t.float },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_diamond_batch',
            columnNames: ['batch_id'],
            referencedTableName: 'ingestion_batch',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
    );
    await q.createIndex(
      'diamond',
      new TableIndex({ name: 'ix_diamond_batch', columnNames: ['batch_id'] }),
    );
    await q.createIndex(
      'diamond',
      new TableIndex({
        name: 'ix_diamond_grade_carat',
        columnNames: ['cut', 'color', 'clarity', 'carat'],
      }),
    );
    await q.createTable(
      new Table({
        name: 'rejected_row',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'batch_id', type: 'integer' },
          { name: 'line_number', type: 'integer' },
          { name: 'raw_text', type: 'text' },
          { name: 'reasons', type: t.json },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_rejected_row_batch',
            columnNames: ['batch_id'],
            referencedTableName: 'ingestion_batch',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
    );
    await q.createIndex(
      'rejected_row',
      new TableIndex({ name: 'ix_rejected_row_batch', columnNames: ['batch_id'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('rejected_row');
    await q.dropTable('diamond');
    await q.dropTable('ingestion_batch');
  }
}
