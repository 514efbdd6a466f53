import { DataSource, QueryRunner } from 'typeorm';

export interface HeldLock {
  release(): Promise<void>;
}

/** The part of better-sqlite3 the SQLite lock uses (the package ships no types). */
interface SqliteConnection {
  exec(sql: string): unknown;
  close(): unknown;
}
type SqliteOpen = new (path: string, options: { timeout: number }) => SqliteConnection;

/**
 * A named mutual exclusion across the processes sharing a database (server instances, the
 * command line).
 *
 * On PostgreSQL: a session advisory lock held on a dedicated connection, keyed by `key` and the
 * schema. On SQLite: an exclusive transaction held open on a lock file of its own beside the
 * database file (`<database>.lock-<key>`, empty, never written): SQLite's file locks exclude
 * other connections in this process and in any other, and the kernel drops them when the
 * holder dies, so a crash never leaves the lock taken. An in-memory SQLite database (one process
 * by nature) uses an in-process flag.
 */
export class AdvisoryLock {
  private localHeld = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: number,
  ) {}

  /** The lock, or null when someone else holds it. */
  async tryAcquire(): Promise<HeldLock | null> {
    if (this.dataSource.options.type === 'postgres') return this.tryPostgres();
    if (this.localHeld) return null;
    const file = this.sqliteLockFile();
    const held = file === null ? { release: async () => undefined } : this.trySqliteFile(file);
    if (!held) return null;
    this.localHeld = true;
    return {
      release: async () => {
        this.localHeld = false;
        await held.release();
      },
    };
  }

  /** The lock file beside the SQLite database, or null for an in-memory one. */
  sqliteLockFile(): string | null {
    const database = (this.dataSource.options as { database?: unknown }).database;
    if (typeof database !== 'string' || database === '' || database === ':memory:') return null;
    return `${database}.lock-${this.key}`;
  }

  private trySqliteFile(file: string): HeldLock | null {
    const Sqlite = require('better-sqlite3') as SqliteOpen;
    // timeout 0: a lock someone holds is a refusal now, not a wait.
    const connection = new Sqlite(file, { timeout: 0 });
    try {
      connection.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      connection.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return null;
      throw err;
    }
    return {
      release: async () => {
        try {
          connection.exec('ROLLBACK');
        } finally {
          connection.close();
        }
      },
    };
  }

  private async tryPostgres(): Promise<HeldLock | null> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [row] = (await runner.query(
      'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked',
      [this.key],
    )) as { locked: boolean }[];
    if (!row.locked) {
      await runner.release();
      return null;
    }
    return {
      release: async () => {
        try {
          await runner.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [
            this.key,
          ]);
        } finally {
          await runner.release();
        }
      },
    };
  }
}
