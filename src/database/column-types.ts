import { ColumnType } from 'typeorm';

/**
 * Column types that differ between the two engines. Entities are decorated at import time,
 * so the engine is read from the same variable the config uses (DATABASE_URL).
 * Migrations pick their types from the live connection instead (see migration-types.ts).
 */
const isPostgresEnv = (): boolean => /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');

export const DATE_COLUMN: ColumnType = isPostgresEnv() ? 'timestamptz' : 'datetime';
export const JSON_COLUMN: ColumnType = isPostgresEnv() ? 'jsonb' : 'json';
export const FLOAT_COLUMN: ColumnType = 'double precision';
export const BYTES_COLUMN: ColumnType = isPostgresEnv() ? 'bytea' : 'blob';
