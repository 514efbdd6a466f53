import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ModelVersionInfo } from '../registry/model-catalog';
import type { RunOutcome, TrainingRunEntity } from '../training/training-run.entity';
import { BatchDriftDto } from '../training/drift/drift.dto';
import { RunOutcomeDto } from '../training/training.dto';

class DashboardVersionDto {
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ enum: ['champion', 'candidate', 'retired'] }) status: string;
  @ApiProperty({ example: '2025-11-27T02:00:00.000Z' }) createdAt: string;
  @ApiProperty({ example: 271.4, description: 'Holdout mean absolute error (USD)' }) mae: number;
  @ApiProperty({ example: 0.981, description: 'Holdout R²' }) r2: number;
  @ApiProperty({ example: 10788 }) holdoutRows: number;
}

export class DashboardFamilyDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty() description: string;
  @ApiPropertyOptional({ example: 3, nullable: true, type: Number }) championVersion: number | null;
  @ApiProperty({ type: [DashboardVersionDto], description: 'Oldest first' })
  versions: DashboardVersionDto[];
}

class DashboardPointDto {
  @ApiProperty({ example: 5210 }) actual: number;
  @ApiProperty({ example: 5080.5 }) predicted: number;
}

class DashboardChampionDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: 271.4 }) mae: number;
  @ApiProperty({ example: 0.981 }) r2: number;
  @ApiProperty({ type: [DashboardPointDto], description: 'Up to 200 holdout rows' })
  sample: DashboardPointDto[];
}

class DashboardRunDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['schedule', 'admin', 'cli', 'first-start'] }) trigger: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'partial', 'failed', 'skipped'] }) status: string;
  @ApiProperty() startedAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) finishedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) durationSeconds: number | null;
  @ApiProperty({
    type: [RunOutcomeDto],
    description: 'Per family: version registered, promoted or not, MAE, or the error',
  })
  outcomes: RunOutcome[];
  @ApiProperty({
    type: [Number],
    example: [5],
    description:
      'Batches the price check held out of this run (out of training until an admin accepts them); empty when none',
  })
  heldBatchIds: number[];
  @ApiPropertyOptional({ nullable: true, type: String }) error: string | null;
}

class DashboardAuditVolumeDto {
  @ApiProperty({ example: 'POST /v1/predictions' }) route: string;
  @ApiProperty({ example: 200 }) status: number;
  @ApiProperty({ example: 1520 }) count: number;
}

class DashboardOutcomeMonthDto {
  @ApiProperty({ example: '2026-12', description: 'Month the outcomes were recorded (UTC)' })
  month: string;
  @ApiProperty({ example: 'xgboost-blend' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: 42, description: 'Outcomes recorded that month for that version' })
  count: number;
  @ApiProperty({ example: 301.5, description: 'Mean |quoted − paid|, USD' }) mae: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 287.1,
    description: 'The holdout MAE the version was registered with',
  })
  holdoutMae: number | null;
}

export class DashboardDataDto {
  @ApiProperty() generatedAt: string;
  @ApiProperty({ type: [DashboardFamilyDto] }) families: DashboardFamilyDto[];
  @ApiPropertyOptional({
    type: DashboardChampionDto,
    nullable: true,
    description: 'The default champion (lowest MAE across families)',
  })
  champion: DashboardChampionDto | null;
  @ApiProperty({ type: [DashboardRunDto], description: 'Newest first' }) runs: DashboardRunDto[];
  @ApiProperty({ type: [DashboardAuditVolumeDto], description: 'Last 24 hours' })
  auditVolume: DashboardAuditVolumeDto[];
  @ApiProperty({ example: 53940 }) datasetRows: number;
  @ApiProperty({
    type: [BatchDriftDto],
    description: "The last batches compared with the champion's training data, newest first",
  })
  drift: BatchDriftDto[];
  @ApiProperty({
    type: [DashboardOutcomeMonthDto],
    description:
      "The store's outcomes (what it paid) against the quotes, by month and model version, oldest first",
  })
  outcomes: DashboardOutcomeMonthDto[];
}

export const toDashboardVersionDto = (v: ModelVersionInfo): DashboardVersionDto => ({
  version: v.version,
  status: v.status,
  createdAt: v.createdAt.toISOString(),
  mae: v.metrics.mae,
  r2: v.metrics.r2,
  holdoutRows: v.metrics.holdoutRows,
});

export const toDashboardRunDto = (r: TrainingRunEntity): DashboardRunDto => ({
  id: r.id,
  trigger: r.trigger,
  status: r.status,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
  durationSeconds: r.finishedAt
    ? Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 100) / 10
    : null,
  outcomes: r.outcomes,
  heldBatchIds: (r.heldBatches ?? []).map((h) => h.batchId),
  error: r.error,
});
