import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** The dataset batch an outcome went into as a training row (null while unused). */
export class OutcomeDatasetBatch1765400000001 implements MigrationInterface {
  name = 'OutcomeDatasetBatch1765400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'outcome',
      new TableColumn({ name: 'dataset_batch_id', type: 'integer', isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('outcome', 'dataset_batch_id');
  }
}
