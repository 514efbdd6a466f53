import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * Model files in the database (`model_artifact`), so replicas share nothing but the database.
 * Artifacts already on disk are imported at start by the registry (it knows ARTIFACTS_DIR).
 */
export class ModelArtifact1765200000000 implements MigrationInterface {
  name = 'ModelArtifact1765200000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'model_artifact',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'version', type: 'integer' },
          { name: 'kind', type: 'varchar', length: '20' },
          { name: 'bytes', type: t.pg ? 'bytea' : 'blob' },
          { name: 'size', type: 'integer' },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        indices: [
          {
            name: 'uq_model_artifact_family_version_kind',
            columnNames: ['family', 'version', 'kind'],
            isUnique: true,
          },
        ],
        foreignKeys: [
          {
            name: 'fk_model_artifact_version',
            columnNames: ['family', 'version'],
            referencedTableName: 'model_version',
            referencedColumnNames: ['family', 'version'],
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('model_artifact');
  }
}
