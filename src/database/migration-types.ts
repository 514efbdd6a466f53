import { QueryRunner } from 'typeorm';

/** Engine-specific column types for migrations, read from the connection that runs them. */
export function migrationTypes(queryRunner: QueryRunner) {
  const pg = queryRunner.connection.options.type === 'postgres';
  return {
    pg,
    date: pg ? 'timestamptz' : 'datetime',
    json: pg ? 'jsonb' : 'json',
    float: 'double precision',
    /** Auto-increment integer primary key column. */
    serial: {
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment' as const,
    },
    now: pg ? 'now()' : "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
  };
}
