import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { databaseOptions, describeDatabase } from './database-options';

const MIGRATION_LOCK_KEY = 727_001;
const logger = new Logger('DatabaseModule');

/** Creates the PostgreSQL schema when it is not `public` (tests run in a throwaway schema). */
export async function ensureSchema(config: AppConfig): Promise<void> {
  if (!config.DATABASE_URL || config.DATABASE_SCHEMA === 'public') return;
  const client = new Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  try {
    // Two instances starting together on a new schema would both try to create it, and
    // IF NOT EXISTS does not stop the second from failing on pg_namespace's unique index.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      MIGRATION_LOCK_KEY,
      config.DATABASE_SCHEMA,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${config.DATABASE_SCHEMA}"`);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** Runs pending migrations; on PostgreSQL under an advisory lock so two instances never race. */
async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  const pg = dataSource.options.type === 'postgres';
  try {
    if (pg)
      await runner.query('SELECT pg_advisory_lock($1, hashtext(current_schema()))', [
        MIGRATION_LOCK_KEY,
      ]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0)
      logger.log(
        `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`,
      );
  } finally {
    if (pg)
      await runner.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [
        MIGRATION_LOCK_KEY,
      ]);
    await runner.release();
  }
}

interface DatabaseModuleOptions {
  /**
   * Attempts to reach the database before giving up, 3 s apart: the server waits for a database
   * that starts after it (10); the command line answers at once (1).
   */
  connectAttempts: number;
}

/** The TypeORM data source for the configured engine, migrated before anything uses it. */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions = { connectAttempts: 10 }): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            await ensureSchema(config);
            logger.log(`Database: ${describeDatabase(config)}`);
            return {
              ...databaseOptions(config),
              migrationsRun: config.DB_MIGRATIONS_RUN,
              autoLoadEntities: true,
              retryAttempts: options.connectAttempts,
            };
          },
          // Migrations run here, before any provider can touch a table.
          dataSourceFactory: async (typeOrmOptions?: DataSourceOptions) => {
            if (!typeOrmOptions) throw new Error('TypeORM options missing');
            const dataSource = await new DataSource({
              ...typeOrmOptions,
              migrationsRun: false,
            }).initialize();
            if (typeOrmOptions.migrationsRun) await migrate(dataSource);
            else logger.warn('Migrations skipped (DB_MIGRATIONS_RUN=false)');
            return dataSource;
          },
        }),
      ],
    };
  }
}
