import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, QueryRunner } from 'typeorm';
import { AliasAction, AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { TrainingRunEntity } from './entities/training-run.entity';
import type { VersionStatus } from './model-catalog';

export const CHAMPION = 'champion';
const TRAINING_LOCK_KEY = 727_002;

export interface HeldLock {
  release(): Promise<void>;
}

/** The only place that touches the registry's tables. */
@Injectable()
export class RegistryRepository {
  /** SQLite serves one instance: an in-process flag is the lock there. */
  private localLockHeld = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get pg(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  // ---- versions -------------------------------------------------------------------------

  async nextVersion(family: string): Promise<number> {
    const row = await this.dataSource
      .getRepository(ModelVersionEntity)
      .createQueryBuilder('v')
      .select('MAX(v.version)', 'max')
      .where('v.family = :family', { family })
      .getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0) + 1;
  }

  insertVersion(
    version: Omit<ModelVersionEntity, 'id' | 'createdAt'>,
  ): Promise<ModelVersionEntity> {
    return this.dataSource.getRepository(ModelVersionEntity).save(version as ModelVersionEntity);
  }

  findVersion(family: string, version: number): Promise<ModelVersionEntity | null> {
    return this.dataSource.getRepository(ModelVersionEntity).findOneBy({ family, version });
  }

  findVersionById(id: number): Promise<ModelVersionEntity | null> {
    return this.dataSource.getRepository(ModelVersionEntity).findOneBy({ id });
  }

  findVersionsByIds(ids: number[]): Promise<ModelVersionEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(ModelVersionEntity).findBy({ id: In(ids) });
  }

  async updateVersion(id: number, patch: Partial<ModelVersionEntity>): Promise<void> {
    await this.dataSource.getRepository(ModelVersionEntity).update({ id }, patch as never);
  }

  listVersions(family: string): Promise<ModelVersionEntity[]> {
    return this.dataSource
      .getRepository(ModelVersionEntity)
      .find({ where: { family }, order: { version: 'DESC' } });
  }

  countVersions(family: string): Promise<number> {
    return this.dataSource.getRepository(ModelVersionEntity).countBy({ family });
  }

  // ---- aliases and their ledger ---------------------------------------------------------

  async championIds(): Promise<Map<string, number>> {
    const rows = await this.dataSource.getRepository(ModelAliasEntity).findBy({ alias: CHAMPION });
    return new Map(rows.map((r) => [r.family, r.versionId]));
  }

  async findChampion(family: string): Promise<ModelVersionEntity | null> {
    const alias = await this.dataSource
      .getRepository(ModelAliasEntity)
      .findOneBy({ family, alias: CHAMPION });
    return alias ? this.findVersionById(alias.versionId) : null;
  }

  /**
   * Points a family's champion alias at a version, in one transaction: the alias, the statuses
   * and the ledger entry move together.
   */
  async moveChampion(
    family: string,
    toVersionId: number,
    move: { action: AliasAction; reason: string; actor: string; fromStatus: VersionStatus },
  ): Promise<AliasLedgerEntity> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      const aliases = m.getRepository(ModelAliasEntity);
      const current = await aliases.findOneBy({ family, alias: CHAMPION });
      const fromVersionId = current?.versionId ?? null;
      if (current) {
        current.versionId = toVersionId;
        await aliases.save(current);
        if (fromVersionId !== toVersionId)
          await m
            .getRepository(ModelVersionEntity)
            .update({ id: fromVersionId! }, { status: move.fromStatus });
      } else {
        await aliases.save({ family, alias: CHAMPION, versionId: toVersionId });
      }
      await m.getRepository(ModelVersionEntity).update({ id: toVersionId }, { status: 'champion' });
      return m.getRepository(AliasLedgerEntity).save({
        family,
        alias: CHAMPION,
        fromVersionId,
        toVersionId,
        action: move.action,
        reason: move.reason,
        actor: move.actor,
      });
    });
  }

  ledger(family?: string, limit = 200): Promise<AliasLedgerEntity[]> {
    return this.dataSource
      .getRepository(AliasLedgerEntity)
      .find({ where: family ? { family } : {}, order: { id: 'DESC' }, take: limit });
  }

  /** Changes whenever any alias moves, on any instance. */
  async aliasRevision(): Promise<number> {
    const row = await this.dataSource
      .getRepository(AliasLedgerEntity)
      .createQueryBuilder('l')
      .select('MAX(l.id)', 'max')
      .getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0);
  }

  // ---- training runs --------------------------------------------------------------------

  createRun(run: Omit<TrainingRunEntity, 'id'>): Promise<TrainingRunEntity> {
    return this.dataSource.getRepository(TrainingRunEntity).save(run as TrainingRunEntity);
  }

  async updateRun(id: number, patch: Partial<TrainingRunEntity>): Promise<void> {
    await this.dataSource.getRepository(TrainingRunEntity).update({ id }, patch);
  }

  findRun(id: number): Promise<TrainingRunEntity | null> {
    return this.dataSource.getRepository(TrainingRunEntity).findOneBy({ id });
  }

  listRuns(limit: number): Promise<TrainingRunEntity[]> {
    return this.dataSource
      .getRepository(TrainingRunEntity)
      .find({ order: { id: 'DESC' }, take: limit });
  }

  findRunningRun(): Promise<TrainingRunEntity | null> {
    return this.dataSource
      .getRepository(TrainingRunEntity)
      .findOne({ where: { status: 'running' }, order: { id: 'DESC' } });
  }

  /** Marks runs left 'running' by a crash as failed. Call only while holding the training lock. */
  async failInterruptedRuns(): Promise<number> {
    const result = await this.dataSource.getRepository(TrainingRunEntity).update(
      { status: 'running' },
      {
        status: 'failed',
        finishedAt: new Date(),
        error: 'Interrupted: the service stopped during the run',
      },
    );
    return result.affected ?? 0;
  }

  // ---- the training lock ----------------------------------------------------------------

  /**
   * One training at a time. On PostgreSQL a session advisory lock held on a dedicated
   * connection, keyed by schema, so instances sharing the database (and schema) exclude each other; on SQLite (one
   * instance) an in-process flag. Returns null when someone else holds it.
   */
  async tryLock(): Promise<HeldLock | null> {
    if (!this.pg) {
      if (this.localLockHeld) return null;
      this.localLockHeld = true;
      return { release: async () => void (this.localLockHeld = false) };
    }
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [row] = (await runner.query(
      'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked',
      [TRAINING_LOCK_KEY],
    )) as { locked: boolean }[];
    if (!row.locked) {
      await runner.release();
      return null;
    }
    return {
      release: async () => {
        try {
          await runner.query('SELECT pg_advisory_unlock($1, hashtext(current_schema()))', [
            TRAINING_LOCK_KEY,
          ]);
        } finally {
          await runner.release();
        }
      },
    };
  }
}
