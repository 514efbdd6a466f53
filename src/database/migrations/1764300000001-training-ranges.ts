import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { migrationTypes } from '../migration-types';

/** Each model version keeps the feature and price ranges it was trained on (null for older ones). */
export class TrainingRanges1764300000001 implements MigrationInterface {
  name = 'TrainingRanges1764300000001';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'training_ranges', type: t.json, isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('model_version', 'training_ranges');
  }
}
