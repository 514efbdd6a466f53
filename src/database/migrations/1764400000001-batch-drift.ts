import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * Drift of each ingested batch against the data the champion trained on, and the drifted batches
 * a training run flagged.
 */
export class BatchDrift1764400000001 implements MigrationInterface {
  name = 'BatchDrift1764400000001';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'batch_drift',
        columns: [
          { name: 'batch_id', type: 'integer', isPrimary: true },
          { name: 'reference_family', type: 'varchar', length: '50' },
          { name: 'reference_version', type: 'integer' },
          { name: 'report', type: t.json },
          { name: 'max_psi', type: t.float },
          { name: 'outside_share', type: t.float },
          { name: 'threshold', type: t.float },
          { name: 'drifted', type: 'boolean' },
          { name: 'flagged_run_id', type: 'integer', isNullable: true },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        foreignKeys: [
          {
            name: 'fk_batch_drift_batch',
            columnNames: ['batch_id'],
            referencedTableName: 'ingestion_batch',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await q.addColumn(
      'training_run',
      new TableColumn({ name: 'drift', type: t.json, isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('training_run', 'drift');
    await q.dropTable('batch_drift');
  }
}
