import { Injectable } from '@nestjs/common';
import { AuditStatsService } from '../audit/audit-stats.service';
import { DiamondsService } from '../diamonds/diamonds.service';
import { ModelCatalog } from '../registry/model-catalog';
import { BatchDriftService } from '../training/drift/batch-drift.service';
import { toBatchDriftDto } from '../training/drift/drift.dto';
import { TrainingService } from '../training/training.service';
import { OutcomesService } from '../outcomes/outcomes.service';
import {
  DashboardDataDto,
  DashboardFamilyDto,
  toDashboardRunDto,
  toDashboardVersionDto,
} from './dashboard.dto';

const RECENT_RUNS = 10;
const RECENT_DRIFT = 10;
const AUDIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Gathers what the dashboard page draws, in one read-only call. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly training: TrainingService,
    private readonly drift: BatchDriftService,
    private readonly audit: AuditStatsService,
    private readonly diamonds: DiamondsService,
    private readonly outcomes: OutcomesService,
  ) {}

  async data(): Promise<DashboardDataDto> {
    const { catalog } = this;
    const [datasetRows, auditVolume, drift, summaries, runs, champion, monthly] = await Promise.all(
      [
        this.diamonds.countDiamonds(),
        this.audit.volumeByRouteAndStatus(new Date(Date.now() - AUDIT_WINDOW_MS)),
        this.drift.latestWithStatus(RECENT_DRIFT),
        catalog.listFamilies(),
        this.training.listRuns(RECENT_RUNS),
        catalog.defaultChampion(),
        this.outcomes.byMonth(),
      ],
    );
    const families: DashboardFamilyDto[] = await Promise.all(
      summaries.map(async (f) => ({
        family: f.family,
        description: f.description,
        championVersion: f.champion?.version ?? null,
        versions: (await catalog.listVersions(f.family)).map(toDashboardVersionDto).reverse(),
      })),
    );
    // Beside each month's live error, the holdout MAE the version was promoted on.
    const holdout = new Map(
      families.flatMap((f) => f.versions.map((v) => [`${f.family} ${v.version}`, v.mae] as const)),
    );
    const sample = champion ? await catalog.holdoutSample(champion.id) : [];
    return {
      generatedAt: new Date().toISOString(),
      datasetRows,
      auditVolume,
      drift: drift.map((d) => toBatchDriftDto(d.drift, d.status)),
      families,
      champion: champion
        ? {
            family: champion.family,
            version: champion.version,
            mae: champion.metrics.mae,
            r2: champion.metrics.r2,
            sample,
          }
        : null,
      runs: runs.map(toDashboardRunDto),
      outcomes: monthly.map((m) => ({
        ...m,
        holdoutMae: holdout.get(`${m.family} ${m.version}`) ?? null,
      })),
    };
  }
}
