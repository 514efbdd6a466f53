import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { migrationTypes } from '../migration-types';

export class ModelRegistry1764201700000 implements MigrationInterface {
  name = 'ModelRegistry1764201700000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'training_run',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'trigger', type: 'varchar', length: '20' },
          { name: 'status', type: 'varchar', length: '20' },
          { name: 'started_at', type: t.date },
          { name: 'finished_at', type: t.date, isNullable: true },
          { name: 'trials', type: 'integer' },
          { name: 'families', type: t.json },
          { name: 'dataset_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'row_count', type: 'integer', isNullable: true },
          { name: 'outcomes', type: t.json },
          { name: 'error', type: 'text', isNullable: true },
          { name: 'instance', type: 'varchar', length: '200' },
        ],
        indices: [{ name: 'ix_training_run_status', columnNames: ['status'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'model_version',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'version', type: 'integer' },
          { name: 'status', type: 'varchar', length: '20' },
          { name: 'created_at', type: t.date, default: t.now },
          { name: 'training_run_id', type: 'integer', isNullable: true },
          { name: 'params', type: t.json },
          { name: 'metrics', type: t.json },
          { name: 'holdout_sample', type: t.json },
          { name: 'trials', type: t.json },
          { name: 'lineage', type: t.json },
          { name: 'split', type: t.json },
          { name: 'seed', type: 'integer' },
          { name: 'code_version', type: 'varchar', length: '100' },
          { name: 'fit_ms', type: 'integer' },
          { name: 'search_ms', type: 'integer' },
          { name: 'comparison', type: t.json, isNullable: true },
          { name: 'artifact_path', type: 'varchar', length: '500' },
          { name: 'artifact_size', type: 'integer' },
          { name: 'artifact_sha256', type: 'varchar', length: '64' },
        ],
        indices: [
          {
            name: 'uq_model_version_family_version',
            columnNames: ['family', 'version'],
            isUnique: true,
          },
          { name: 'ix_model_version_run', columnNames: ['training_run_id'] },
        ],
        foreignKeys: [
          {
            name: 'fk_model_version_run',
            columnNames: ['training_run_id'],
            referencedTableName: 'training_run',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'model_alias',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'alias', type: 'varchar', length: '50' },
          { name: 'version_id', type: 'integer' },
          { name: 'updated_at', type: t.date, default: t.now },
        ],
        indices: [
          { name: 'uq_model_alias_family_alias', columnNames: ['family', 'alias'], isUnique: true },
        ],
        foreignKeys: [
          {
            name: 'fk_model_alias_version',
            columnNames: ['version_id'],
            referencedTableName: 'model_version',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alias_ledger',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'alias', type: 'varchar', length: '50' },
          { name: 'from_version_id', type: 'integer', isNullable: true },
          { name: 'to_version_id', type: 'integer' },
          { name: 'action', type: 'varchar', length: '20' },
          { name: 'reason', type: 'text' },
          { name: 'actor', type: 'varchar', length: '100' },
          { name: 'created_at', type: t.date, default: t.now },
        ],
        indices: [{ name: 'ix_alias_ledger_family', columnNames: ['family'] }],
        foreignKeys: [
          {
            name: 'fk_alias_ledger_from',
            columnNames: ['from_version_id'],
            referencedTableName: 'model_version',
            referencedColumnNames: ['id'],
          },
          {
            name: 'fk_alias_ledger_to',
            columnNames: ['to_version_id'],
            referencedTableName: 'model_version',
            referencedColumnNames: ['id'],
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('alias_ledger');
    await q.dropTable('model_alias');
    await q.dropTable('model_version');
    await q.dropTable('training_run');
  }
}
