import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Subject } from 'rxjs';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { FittedModel } from '../model-runtime/model-family';
import { ModelFamilyRegistry } from '../model-runtime/model-runtime.module';
import { ArtifactStore } from './artifact.store';
import { AliasAction, AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ChampionRanking, FamilySummary, ModelCatalog, ModelVersionInfo } from './model-catalog';
import { RegistryRepository } from './registry.repository';

export type NewVersion = Omit<
  ModelVersionEntity,
  | 'id'
  | 'createdAt'
  | 'version'
  | 'status'
  | 'artifactPath'
  | 'artifactSize'
  | 'artifactSha256'
  | 'splitArtifact'
  | 'ranking'
  | 'rankedByRun'
>;

function toVersionInfo(v: ModelVersionEntity): ModelVersionInfo {
  return {
    id: v.id,
    family: v.family,
    version: v.version,
    status: v.status,
    createdAt: v.createdAt,
    metrics: v.metrics,
    params: v.params,
    trainingRunId: v.trainingRunId,
    artifactSha256: v.artifactSha256,
    trainingRanges: v.trainingRanges ?? null,
    calibration: v.calibration ?? null,
  };
}

/**
 * The model registry: versions and their artifacts, the champion alias of each family and the
 * ledger of its moves. Read side: ModelCatalog.
 */
@Injectable()
export class RegistryService extends ModelCatalog implements OnModuleInit {
  private readonly logger = new Logger(RegistryService.name);
  readonly aliasMoved$ = new Subject<void>();

  constructor(
    private readonly repository: RegistryRepository,
    private readonly artifacts: ArtifactStore,
    private readonly families: ModelFamilyRegistry,
  ) {
    super();
  }

  /** Artifacts of versions registered before they were kept in the database: imported from disk. */
  async onModuleInit(): Promise<void> {
    await this.artifacts.importFromDisk();
  }

  // ---- read side (ModelCatalog) ---------------------------------------------------------

  async listFamilies(): Promise<FamilySummary[]> {
    const championIds = await this.repository.championIds();
    const champions = new Map(
      (await this.repository.findVersionsByIds([...championIds.values()])).map((v) => [
        v.family,
        v,
      ]),
    );
    return Promise.all(
      this.families.list().map(async (f) => {
        const champion = champions.get(f.name);
        return {
          family: f.name,
          description: f.description,
          champion: champion ? toVersionInfo(champion) : null,
          versions: await this.repository.countVersions(f.name),
        };
      }),
    );
  }

  async findVersion(family: string, version: number): Promise<ModelVersionInfo | null> {
    const v = await this.repository.findVersion(family, version);
    return v ? toVersionInfo(v) : null;
  }

  async findChampion(family: string): Promise<ModelVersionInfo | null> {
    const v = await this.repository.findChampion(family);
    return v ? toVersionInfo(v) : null;
  }

  async defaultChampion(): Promise<ModelVersionInfo | null> {
    const ids = [...(await this.repository.championIds()).values()];
    const champions = (await this.repository.findVersionsByIds(ids)).filter((v) =>
      this.families.has(v.family),
    );
    // On the same rows when one run ranked them all; otherwise each one's own holdout figure.
    const run = champions[0]?.ranking?.trainingRunId;
    const ranked = champions.every((v) => v.ranking && v.ranking.trainingRunId === run);
    const mae = (v: ModelVersionEntity) => (ranked ? v.ranking!.mae : v.metrics.mae);
    champions.sort((a, b) => mae(a) - mae(b) || a.family.localeCompare(b.family));
    return champions[0] ? toVersionInfo(champions[0]) : null;
  }

  aliasRevision(): Promise<number> {
    return this.repository.aliasRevision();
  }

  async listVersions(family: string): Promise<ModelVersionInfo[]> {
    return (await this.repository.listVersions(family)).map(toVersionInfo);
  }

  async holdoutSample(versionId: number): Promise<{ actual: number; predicted: number }[]> {
    return (await this.repository.findVersionById(versionId))?.holdoutSample ?? [];
  }

  trialsByFamilyAndState(): Promise<{ family: string; state: string; count: number }[]> {
    return this.repository.trialsByFamilyAndState();
  }

  async loadModel(version: ModelVersionInfo): Promise<FittedModel> {
    const entity = await this.repository.findVersionById(version.id);
    if (!entity)
      throw new DomainError(
        ErrorCode.NotFound,
        `Model ${version.family} v${version.version} is not registered`,
      );
    return this.loadEntity(entity);
  }

  async verifyArtifact(version: ModelVersionInfo): Promise<void> {
    const entity = await this.repository.findVersionById(version.id);
    if (!entity)
      throw new DomainError(
        ErrorCode.NotFound,
        `Model ${version.family} v${version.version} is not registered`,
      );
    await this.artifacts.verify(entity.family, entity.version, 'served', entity.artifactSha256);
  }

  async loadEntity(entity: ModelVersionEntity): Promise<FittedModel> {
    const bytes = await this.artifacts.load(
      entity.family,
      entity.version,
      'served',
      entity.artifactSha256,
    );
    return this.families.get(entity.family).load(bytes);
  }

  /**
   * The version's split model (fitted on the training side of its split only); null when the
   * version has none (registered before split models were kept). Throws ARTIFACT_CORRUPT when
   * its file is missing or does not match its sha256.
   */
  async loadSplitModel(entity: ModelVersionEntity): Promise<FittedModel | null> {
    if (!entity.splitArtifact) return null;
    const bytes = await this.artifacts.load(
      entity.family,
      entity.version,
      'split',
      entity.splitArtifact.sha256,
    );
    return this.families.get(entity.family).load(bytes);
  }

  // ---- full records, for the registry endpoints -----------------------------------------

  async getVersion(family: string, version: number): Promise<ModelVersionEntity> {
    this.assertFamily(family);
    const v = await this.repository.findVersion(family, version);
    if (!v) throw new DomainError(ErrorCode.NotFound, `Model ${family} has no version ${version}`);
    return v;
  }

  async versionsOf(family: string): Promise<ModelVersionEntity[]> {
    this.assertFamily(family);
    return this.repository.listVersions(family);
  }

  async ledger(
    family?: string,
  ): Promise<(AliasLedgerEntity & { fromVersion: number | null; toVersion: number })[]> {
    if (family) this.assertFamily(family);
    const entries = await this.repository.ledger(family);
    const ids = [
      ...new Set(
        entries
          .flatMap((e) => [e.fromVersionId, e.toVersionId])
          .filter((x): x is number => x !== null),
      ),
    ];
    const numbers = new Map(
      (await this.repository.findVersionsByIds(ids)).map((v) => [v.id, v.version]),
    );
    return entries.map((e) => ({
      ...e,
      fromVersion: e.fromVersionId === null ? null : (numbers.get(e.fromVersionId) ?? null),
      toVersion: numbers.get(e.toVersionId)!,
    }));
  }

  assertFamily(family: string): void {
    if (!this.families.has(family)) {
      const known = this.families.list().map((f) => f.name);
      const message = `Unknown model family "${family}"; known families: ${known.join(', ')}`;
      throw new DomainError(ErrorCode.NotFound, message, [
        { field: 'family', rules: { isKnownFamily: message } },
      ]);
    }
  }

  // ---- write side -----------------------------------------------------------------------

  /**
   * Registers the version as a candidate with its artifacts (the served model and, when given,
   * the split model) in the same transaction, in the database, so every replica can load them;
   * then caches them in ARTIFACTS_DIR.
   */
  async register(
    newVersion: NewVersion,
    model: FittedModel,
    splitModel?: FittedModel,
  ): Promise<ModelVersionEntity> {
    const version = await this.repository.nextVersion(newVersion.family);
    const served = this.artifacts.digest('served', model.serialize());
    const split = splitModel ? this.artifacts.digest('split', splitModel.serialize()) : null;
    const entity = await this.repository.insertVersion(
      {
        ...newVersion,
        version,
        status: 'candidate',
        artifactPath: ArtifactStore.pathOf(newVersion.family, version, 'served'),
        artifactSize: served.bytes.length,
        artifactSha256: served.sha256,
        splitArtifact: split
          ? {
              path: ArtifactStore.pathOf(newVersion.family, version, 'split'),
              size: split.bytes.length,
              sha256: split.sha256,
            }
          : null,
        ranking: null,
        rankedByRun: null,
      },
      split ? [served, split] : [served],
    );
    const metadata = {
      params: newVersion.params,
      metrics: newVersion.metrics,
      lineage: newVersion.lineage,
      split: newVersion.split,
      seed: newVersion.seed,
      codeVersion: newVersion.codeVersion,
      trainingRunId: newVersion.trainingRunId,
      createdAt: new Date().toISOString(),
    };
    await this.artifacts.cacheVersion(entity.family, entity.version, served, metadata);
    if (split)
      await this.artifacts.cacheVersion(entity.family, entity.version, split, {
        ...metadata,
        lineage: {
          ...newVersion.lineage,
          fittedOn: 'train',
          fittedRows: newVersion.split.trainRows,
        },
      });
    this.logger.log(
      `Registered ${entity.family} v${entity.version} (holdout MAE ${entity.metrics.mae.toFixed(2)})`,
    );
    return entity;
  }

  /** Records each champion's MAE on the same rows (one ranking run for all of them). */
  async setRanking(rankings: { versionId: number; ranking: ChampionRanking }[]): Promise<void> {
    for (const { versionId, ranking } of rankings)
      await this.repository.updateVersion(versionId, {
        ranking,
        rankedByRun: ranking.trainingRunId,
      });
    // The default model may have changed: this instance reloads now, others see the revision.
    if (rankings.length > 0) this.aliasMoved$.next();
  }

  async setComparison(
    versionId: number,
    comparison: ModelVersionEntity['comparison'],
  ): Promise<void> {
    await this.repository.updateVersion(versionId, { comparison });
  }

  /** Makes a version its family's champion and records why. */
  async promote(
    family: string,
    version: number,
    actor: string,
    reason: string,
    action: AliasAction = 'manual-promote',
  ): Promise<AliasLedgerEntity> {
    const target = await this.getVersion(family, version);
    const current = await this.repository.findChampion(family);
    if (current?.id === target.id)
      throw new DomainError(ErrorCode.Conflict, `${family} v${version} is already the champion`);
    const entry = await this.repository.moveChampion(family, target.id, {
      action,
      reason,
      actor,
      fromStatus: 'retired',
    });
    this.logger.log(
      `${family} champion: v${current?.version ?? '-'} -> v${version} (${action} by ${actor}: ${reason})`,
    );
    this.aliasMoved$.next();
    return entry;
  }

  /**
   * Moves a family's champion back to the champion it replaced. The version rolled back from is
   * marked rolled-back, and is never chosen by a later rollback.
   */
  async rollback(family: string, actor: string, reason = 'rollback'): Promise<AliasLedgerEntity> {
    this.assertFamily(family);
    const current = await this.repository.findChampion(family);
    if (!current)
      throw new DomainError(ErrorCode.Conflict, `${family} has no champion to roll back`);
    // Champions in the order they were promoted, newest first; the target is the newest one
    // promoted before the current champion that has not itself been rolled back.
    const promoted = (await this.repository.ledger(family, 10_000))
      .filter((e) => e.action !== 'rollback')
      .map((e) => e.toVersionId);
    const order = [...new Set(promoted)];
    const candidates = await this.repository.findVersionsByIds(order);
    const byId = new Map(candidates.map((v) => [v.id, v]));
    const target = order
      .slice(order.indexOf(current.id) + 1)
      .map((id) => byId.get(id)!)
      .find((v) => v && v.status !== 'rolled-back');
    if (!target)
      throw new DomainError(
        ErrorCode.Conflict,
        `${family} v${current.version} has no previous champion to roll back to`,
      );
    const entry = await this.repository.moveChampion(family, target.id, {
      action: 'rollback',
      reason,
      actor,
      fromStatus: 'rolled-back',
    });
    this.logger.log(
      `${family} champion rolled back: v${current.version} -> v${target.version} by ${actor}`,
    );
    this.aliasMoved$.next();
    return entry;
  }
}
