import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { TrainingRunEntity } from '../registry/entities/training-run.entity';

export interface RunRow {
  trigger: string;
  status: string;
  durationSeconds: number | null;
}

/**
 * Read-only aggregates over the registry's tables for the metrics scrape and the health check.
 * Ops reads other modules' tables here, and only here, so the scrape stays one cheap query each.
 */
@Injectable()
export class OpsStatsRepository {
  /** Trial counts per version: versions are immutable, so each is read once per process. */
  private readonly trialCounts = new Map<
    number,
    { family: string; byState: Record<string, number> }
  >();
  private lastVersionId = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** False until the registry module registered its entities (the metrics then skip them). */
  get registryPresent(): boolean {
    return (
      this.dataSource.hasMetadata(TrainingRunEntity) &&
      this.dataSource.hasMetadata(ModelVersionEntity)
    );
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** True when a migration of this build has not been applied to the database yet. */
  hasPendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  async trainingRuns(): Promise<RunRow[]> {
    const runs = await this.dataSource
      .getRepository(TrainingRunEntity)
      .find({ select: { trigger: true, status: true, startedAt: true, finishedAt: true } });
    return runs.map((r) => ({
      trigger: r.trigger,
      status: r.status,
      durationSeconds: r.finishedAt
        ? Math.max(0, (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000)
        : null,
    }));
  }

  /** Search trials of every registered version, by family and state. */
  async trialsByFamilyAndState(): Promise<{ family: string; state: string; count: number }[]> {
    const fresh = await this.dataSource.getRepository(ModelVersionEntity).find({
      select: { id: true, family: true, trials: true },
      where: { id: MoreThan(this.lastVersionId) },
      order: { id: 'ASC' },
    });
    for (const v of fresh) {
      const byState: Record<string, number> = {};
      for (const t of v.trials ?? []) byState[t.state] = (byState[t.state] ?? 0) + 1;
      this.trialCounts.set(v.id, { family: v.family, byState });
      this.lastVersionId = Math.max(this.lastVersionId, v.id);
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
}
