import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AppConfig } from '../../src/config/app-config';
import { ensureSchema } from '../../src/database/database.module';
import { ENGINE } from '../support/test-app';

const onPostgres = ENGINE === 'postgres' ? describe : describe.skip;
if (ENGINE !== 'postgres') console.log('ensureSchema race test skipped: SQLite has no schemas');

onPostgres('ensureSchema (postgres)', () => {
  const schema = `t_race_${randomBytes(5).toString('hex')}`;
  const url = process.env.DATABASE_URL!;

  afterAll(async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('lets instances that start together on a new schema all succeed', async () => {
    const config = { DATABASE_URL: url, DATABASE_SCHEMA: schema } as AppConfig;
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => ensureSchema(config)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const client = new Client({ connectionString: url });
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    await client.end();
    expect(found.rowCount).toBe(1);
  });
});
