import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { migrationTypes } from '../migration-types';

/** The requests that priced diamonds, and what the store then paid for them (outcomes). */
export class Outcomes1765400000000 implements MigrationInterface {
  name = 'Outcomes1765400000000';

  async up(q: QueryRunner): Promise<void> {
    const t = migrationTypes(q);
    await q.createTable(
      new Table({
        name: 'priced_request',
        columns: [
          { name: 'request_id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'version', type: 'integer' },
          { name: 'items', type: t.json },
          { name: 'priced_at', type: t.date },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'outcome',
        columns: [
          { name: 'id', ...t.serial },
          { name: 'request_id', type: 'varchar', length: '128' },
          { name: 'item', type: 'integer' },
          { name: 'paid_price', type: t.float },
          { name: 'quoted_price', type: t.float },
          { name: 'range_low', type: t.float, isNullable: true },
          { name: 'range_high', type: t.float, isNullable: true },
          { name: 'family', type: 'varchar', length: '50' },
          { name: 'version', type: 'integer' },
          { name: 'features', type: t.json },
          { name: 'priced_at', type: t.date },
          { name: 'recorded_at', type: t.date },
        ],
        uniques: [{ name: 'uq_outcome_request_item', columnNames: ['request_id', 'item'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('outcome');
    await q.dropTable('priced_request');
  }
}
