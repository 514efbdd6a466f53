import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * Price-range calibration and trust diagnostics (error by price band, feature importance) per
 * model version; null for versions trained before they existed.
 */
export class VersionTrust1764400000000 implements MigrationInterface {
  name = 'VersionTrust1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'calibration', type: t.json, isNullable: true }),
    );
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'diagnostics', type: t.json, isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('model_version', 'diagnostics');
    await q.dropColumn('model_version', 'calibration');
  }
}
