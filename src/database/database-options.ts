import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

/** TypeORM options for the configured engine: PostgreSQL when DATABASE_URL is set, else SQLite. */
export function databaseOptions(config: AppConfig): DataSourceOptions {
  const common = {
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsRun: false,
    logging: ['error'] as const,
  };
  if (config.DATABASE_URL) {
    return {
      ...common,
      type: 'postgres',
      url: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      // search_path too, so raw SQL (not only entity queries) lands in the configured schema.
      extra: {
        max: 20,
        connectionTimeoutMillis: 5000,
        options: `-c search_path=${config.DATABASE_SCHEMA}`,
      },
      logging: ['error'],
    };
  }
  if (config.SQLITE_PATH !== ':memory:')
    mkdirSync(dirname(config.SQLITE_PATH), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: config.SQLITE_PATH,
    enableWAL: true,
    // Several callers (the audit writer, the pipeline) share the file; wait instead of failing.
    timeout: 10000,
    logging: ['error'],
  };
}

export function describeDatabase(config: AppConfig): string {
  if (!config.DATABASE_URL) return `SQLite ${config.SQLITE_PATH}`;
  const url = new URL(config.DATABASE_URL);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname} schema ${config.DATABASE_SCHEMA}`;
}
