import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { migrationTypes } from '../migration-types';

/**
 * The MAE a champion's split model had on the holdout rows of the last run that ranked the
 * champions (the same rows for every family): which one prices by default. Null: never ranked.
 */
export class ChampionRanking1765000000001 implements MigrationInterface {
  name = 'ChampionRanking1765000000001';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'ranking', type: t.json, isNullable: true }),
    );
    // The run that ranked it, as a plain column: instances poll its maximum to see a new ranking.
    await q.addColumn(
      'model_version',
      new TableColumn({ name: 'ranked_by_run', type: 'integer', isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('model_version', 'ranked_by_run');
    await q.dropColumn('model_version', 'ranking');
  }
}
