import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, MoreThan } from 'typeorm';
import { AliasAction, AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ArtifactKind, ModelArtifactEntity } from './entities/model-artifact.entity';
import { ModelAliasEntity } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import type { VersionStatus } from './model-catalog';

const CHAMPION = 'champion';

export interface NewArtifact {
  kind: ArtifactKind;
  bytes: Buffer;
  sha256: string;
}

/** The only place that touches the registry's tables. */
@Injectable()
export class RegistryRepository {
  /** Trial counts per version: versions are immutable, so each is read once per process. */
  private readonly trialCounts = new Map<
    number,
    { family: string; byState: Record<string, number> }
  >();
  private lastCountedVersionId = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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

  /** The version row and its artifacts, in one transaction: a version is never without its files. */
  insertVersion(
    version: Omit<ModelVersionEntity, 'id' | 'createdAt'>,
    artifacts: NewArtifact[],
  ): Promise<ModelVersionEntity> {
    return this.dataSource.transaction(async (m) => {
      const saved = await m.getRepository(ModelVersionEntity).save(version as ModelVersionEntity);
      for (const a of artifacts)
        await m.getRepository(ModelArtifactEntity).insert({
          family: saved.family,
          version: saved.version,
          ...a,
          size: a.bytes.length,
        });
      return saved;
    });
  }

  // ---- artifacts ------------------------------------------------------------------------

  async findArtifact(
    family: string,
    version: number,
    kind: ArtifactKind,
  ): Promise<{ bytes: Buffer; sha256: string } | null> {
    const row = await this.dataSource
      .getRepository(ModelArtifactEntity)
      .findOne({ select: { bytes: true, sha256: true }, where: { family, version, kind } });
    return row ? { bytes: Buffer.from(row.bytes), sha256: row.sha256 } : null;
  }

  /** Stores an artifact unless that (family, version, kind) is already stored (another replica may be importing it too). */
  async insertArtifactIfAbsent(
    family: string,
    version: number,
    artifact: NewArtifact,
  ): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(ModelArtifactEntity)
      .values({ family, version, ...artifact, size: artifact.bytes.length })
      .orIgnore()
      .execute();
  }

  /**
   * Artifacts the registry rows record but the database does not hold yet (versions registered
   * before artifacts were kept there): each with its recorded cache path and sha256.
   */
  async artifactsNotStored(): Promise<
    { family: string; version: number; kind: ArtifactKind; path: string; sha256: string }[]
  > {
    const versions = await this.dataSource.getRepository(ModelVersionEntity).find({
      select: {
        id: true,
        family: true,
        version: true,
        artifactPath: true,
        artifactSha256: true,
        splitArtifact: true,
      },
      order: { id: 'ASC' },
    });
    const stored = new Set(
      (
        await this.dataSource
          .getRepository(ModelArtifactEntity)
          .find({ select: { family: true, version: true, kind: true } })
      ).map((a) => `${a.family}/${a.version}/${a.kind}`),
    );
    return versions.flatMap((v) => {
      const recorded: { kind: ArtifactKind; path: string; sha256: string }[] = [
        { kind: 'served', path: v.artifactPath, sha256: v.artifactSha256 },
      ];
      if (v.splitArtifact)
        recorded.push({
          kind: 'split',
          path: v.splitArtifact.path,
          sha256: v.splitArtifact.sha256,
        });
      return recorded
        .filter((a) => !stored.has(`${v.family}/${v.version}/${a.kind}`))
        .map((a) => ({ family: v.family, version: v.version, ...a }));
    });
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

  /** Search trials of every registered version, by family and state. */
  async trialsByFamilyAndState(): Promise<{ family: string; state: string; count: number }[]> {
    const fresh = await this.dataSource.getRepository(ModelVersionEntity).find({
      select: { id: true, family: true, trials: true },
      where: { id: MoreThan(this.lastCountedVersionId) },
      order: { id: 'ASC' },
    });
    for (const v of fresh) {
      const byState: Record<string, number> = {};
      for (const t of v.trials ?? []) byState[t.state] = (byState[t.state] ?? 0) + 1;
      this.trialCounts.set(v.id, { family: v.family, byState });
      this.lastCountedVersionId = Math.max(this.lastCountedVersionId, v.id);
    }
    const totals = new Map<string, number>();
    for (const { family, byState } of this.trialCounts.values()) {
      for (const [state, n] of Object.entries(byState))
        totals.set(`${family}\u0000${state}`, (totals.get(`${family}\u0000${state}`) ?? 0) + n);
    }
    return [...totals].map(([key, count]) => {
      const [family, state] = key.split('\u0000');
      return { family, state, count };
    });
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
  /**
   * Changes whenever an alias moves or the champions are ranked anew (both can change the
   * default model): the last ledger entry's id plus the last ranking run's id, each only growing.
   */
  async aliasRevision(): Promise<number> {
    const [moved, ranked] = await Promise.all([
      this.dataSource
        .getRepository(AliasLedgerEntity)
        .createQueryBuilder('l')
        .select('MAX(l.id)', 'max')
        .getRawOne<{ max: number | string | null }>(),
      this.dataSource
        .getRepository(ModelVersionEntity)
        .createQueryBuilder('v')
        .select('MAX(v.rankedByRun)', 'max')
        .getRawOne<{ max: number | string | null }>(),
    ]);
    return Number(moved?.max ?? 0) + Number(ranked?.max ?? 0);
  }
}
