import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * Each model version keeps its split model's artifact (fitted on the training side only) beside
 * the served refit: { path, size, sha256 }, null for versions older than this record.
 */
export class SplitArtifact1765000000000 implements MigrationInterface {
  name = 'SplitArtifact1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'split_artifact', type: t.json, isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('model_version', 'split_artifact');
  }
}
