import { DataSource, QueryRunner } from 'typeorm';

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * A named mutual exclusion across the instances sharing a database. On PostgreSQL a session
 * advisory lock held on a dedicated connection, keyed by `key` and the schema, so instances
 * sharing the database (and schema) exclude each other; on SQLite (one instance) an in-process
 * flag.
 */
export class AdvisoryLock {
  private localHeld = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: number,
  ) {}

  /** The lock, or null when someone else holds it. */
  async tryAcquire(): Promise<HeldLock | null> {
    if (this.dataSource.options.type !== 'postgres') {
      if (this.localHeld) return null;
      this.localHeld = true;
      return { release: async () => void (this.localHeld = false) };
    }
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
