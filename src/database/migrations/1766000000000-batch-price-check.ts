import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * The price check of each fresh batch against the default champion (issue 20): the check's
 * record, the hold it may put on the batch (its rows leave every snapshot and the index until an
 * admin accepts it), and the batches a training run found held. A retracted batch can be
 * restored: its ledger entry says when and by whom, and a batch may then be retracted again (one
 * ledger entry per retraction, so the batch's index is no longer unique).
 */
export class BatchPriceCheck1766000000000 implements MigrationInterface {
  name = 'BatchPriceCheck1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'batch_price_check',
        columns: [
          { name: 'batch_id', type: 'integer', isPrimary: true },
          { name: 'verdict', type: 'varchar', length: '20' },
          { name: 'reference_family', type: 'varchar', length: '50', isNullable: true },
          { name: 'reference_version', type: 'integer', isNullable: true },
          { name: 'batch_rows', type: 'integer' },
          { name: 'judged_rows', type: 'integer' },
          { name: 'outside_share', type: t.float, isNullable: true },
          { name: 'median_log_ratio', type: t.float, isNullable: true },
          { name: 'range_log_half_width', type: t.float, isNullable: true },
          { name: 'reason', type: 'text' },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        foreignKeys: [
          {
            name: 'fk_batch_price_check_batch',
            columnNames: ['batch_id'],
            referencedTableName: 'ingestion_batch',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await q.addColumns('ingestion_batch', [
      new TableColumn({ name: 'held_at', type: t.date, isNullable: true }),
      new TableColumn({ name: 'hold_reason', type: 'text', isNullable: true }),
      new TableColumn({ name: 'accepted_at', type: t.date, isNullable: true }),
      new TableColumn({ name: 'accepted_by', type: 'varchar', length: '100', isNullable: true }),
    ]);
    await q.addColumn(
      'training_run',
      new TableColumn({ name: 'held_batches', type: t.json, isNullable: true }),
    );
    await q.addColumns('batch_retraction', [
      new TableColumn({ name: 'restored_at', type: t.date, isNullable: true }),
      new TableColumn({ name: 'restored_by', type: 'varchar', length: '100', isNullable: true }),
    ]);
    await q.dropIndex('batch_retraction', 'uq_batch_retraction_batch');
    await q.createIndex(
      'batch_retraction',
      new TableIndex({ name: 'ix_batch_retraction_batch', columnNames: ['batch_id'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('batch_retraction', 'ix_batch_retraction_batch');
    await q.createIndex(
      'batch_retraction',
      new TableIndex({
        name: 'uq_batch_retraction_batch',
        columnNames: ['batch_id'],
        isUnique: true,
      }),
    );
    await q.dropColumn('batch_retraction', 'restored_by');
    await q.dropColumn('batch_retraction', 'restored_at');
    await q.dropColumn('training_run', 'held_batches');
    for (const c of ['accepted_by', 'accepted_at', 'hold_reason', 'held_at'])
      await q.dropColumn('ingestion_batch', c);
    await q.dropTable('batch_price_check');
  }
}
