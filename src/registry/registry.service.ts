import { Injectable, Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { FittedModel } from '../model-runtime/model-family';
import { ModelFamilyRegistry } from '../model-runtime/model-runtime.module';
import { ArtifactStore } from './artifact.store';
import { AliasAction, AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { FamilySummary, ModelCatalog, ModelVersionInfo } from './model-catalog';
import { RegistryRepository } from './registry.repository';

export type NewVersion = Omit<
  ModelVersionEntity,
  'id' | 'createdAt' | 'version' | 'status' | 'artifactPath' | 'artifactSize' | 'artifactSha256'
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
export class RegistryService extends ModelCatalog {
  private readonly logger = new Logger(RegistryService.name);
  readonly aliasMoved$ = new Subject<void>();

  constructor(
    private readonly repository: RegistryRepository,
    private readonly artifacts: ArtifactStore,
    private readonly families: ModelFamilyRegistry,
  ) {
    super();
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
    champions.sort((a, b) => a.metrics.mae - b.metrics.mae || a.family.localeCompare(b.family));
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

  async loadEntity(entity: ModelVersionEntity): Promise<FittedModel> {
    const bytes = await this.artifacts.read(entity.artifactPath, entity.artifactSha256);
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
      throw new DomainError(
        ErrorCode.NotFound,
        `Unknown model family "${family}"; known families: ${known.join(', ')}`,
        { allowed: known },
      );
    }
  }

  // ---- write side -----------------------------------------------------------------------

  /** Writes the artifact (atomically), then registers the version as a candidate. */
  async register(newVersion: NewVersion, model: FittedModel): Promise<ModelVersionEntity> {
    const version = await this.repository.nextVersion(newVersion.family);
    const stored = await this.artifacts.write(newVersion.family, version, 'served', model.serialize(), {
      params: newVersion.params,
      metrics: newVersion.metrics,
      lineage: newVersion.lineage,
      split: newVersion.split,
      seed: newVersion.seed,
      codeVersion: newVersion.codeVersion,
      trainingRunId: newVersion.trainingRunId,
      createdAt: new Date().toISOString(),
    });
    const entity = await this.repository.insertVersion({
      ...newVersion,
      version,
      status: 'candidate',
      artifactPath: stored.path,
      artifactSize: stored.size,
      artifactSha256: stored.sha256,
    });
    this.logger.log(
      `Registered ${entity.family} v${entity.version} (holdout MAE ${entity.metrics.mae.toFixed(2)})`,
    );
    return entity;
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
