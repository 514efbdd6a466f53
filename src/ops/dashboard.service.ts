import { Injectable } from '@nestjs/common';
import { DiamondsService } from '../diamonds/diamonds.service';
import {
  DashboardDataDto,
  DashboardFamilyDto,
  toDashboardRunDto,
  toDashboardVersionDto,
} from './dashboard.dto';
import { OptionalSources } from './optional-sources';

const RECENT_RUNS = 10;
const RECENT_DRIFT = 10;
const AUDIT_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Gathers what the dashboard page draws, in one read-only call. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly optional: OptionalSources,
    private readonly diamonds: DiamondsService,
  ) {}

  async data(): Promise<DashboardDataDto> {
    const catalog = this.optional.catalog();
    const [datasetRows, auditVolume, drift] = await Promise.all([
      this.diamonds.countDiamonds(),
      this.optional.auditVolume(new Date(Date.now() - AUDIT_WINDOW_MS)),
      this.optional.recentDrift(RECENT_DRIFT),
    ]);
    const base = { generatedAt: new Date().toISOString(), datasetRows, auditVolume, drift };
    if (!catalog) return { ...base, registry: false, families: [], champion: null, runs: [] };

    const [summaries, runs, champion] = await Promise.all([
      catalog.listFamilies(),
      catalog.recentRuns(RECENT_RUNS),
      catalog.defaultChampion(),
    ]);
    const families: DashboardFamilyDto[] = await Promise.all(
      summaries.map(async (f) => ({
        family: f.family,
        description: f.description,
        championVersion: f.champion?.version ?? null,
        versions: (await catalog.listVersions(f.family)).map(toDashboardVersionDto).reverse(),
      })),
    );
    const sample = champion ? await catalog.holdoutSample(champion.id) : [];
    return {
      ...base,
      registry: true,
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
    };
  }
}
