import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_INT32 } from '../common/parse-id.pipe';
import { toQueryInteger } from '../common/query-number';
import { AliasLedgerEntity } from './entities/alias-ledger.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { FamilySummary, ModelVersionInfo } from './model-catalog';
import { searchHistory } from './version-trust';

class MetricsDto {
  @ApiProperty({ example: 0.981, description: 'R² on the holdout rows' }) r2: number;
  @ApiProperty({
    example: 287.4,
    description: 'Mean absolute error on the holdout, USD: the typical error of a price',
  })
  mae: number;
  @ApiProperty({ example: 540.2, description: 'Root mean squared error on the holdout, USD' })
  rmse: number;
  @ApiProperty({ example: 0.074, description: 'Mean absolute percentage error (0.074 = 7.4 %)' })
  mape: number;
  @ApiProperty({ example: 3999 }) trainRows: number;
  @ApiProperty({ example: 1000 }) holdoutRows: number;
}

export class VersionSummaryDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ enum: ['champion', 'candidate', 'retired', 'rolled-back'] }) status: string;
  @ApiProperty({ example: '2026-11-27T02:00:41.000Z' }) createdAt: string;
  @ApiProperty({ type: MetricsDto }) metrics: MetricsDto;
  @ApiProperty({ type: Number, nullable: true, example: 12 }) trainingRunId: number | null;
}

class FamilyDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 'XGBoost on all nine features, tuned by a TPE search' })
  description: string;
  @ApiProperty({ example: 4 }) versions: number;
  @ApiProperty({ type: VersionSummaryDto, nullable: true }) champion: VersionSummaryDto | null;
}

export class ModelsOverviewDto {
  @ApiProperty({
    type: VersionSummaryDto,
    nullable: true,
    description:
      "The model that prices requests by default: the champion with the lowest MAE on the same holdout rows (the last run that ranked them all; else each one's own holdout MAE)",
  })
  defaultModel: VersionSummaryDto | null;
  @ApiProperty({ type: [FamilyDto] }) families: FamilyDto[];
}

class ChampionRankingDto {
  @ApiProperty({ example: 287.2, description: "The split model's MAE on those rows, USD" })
  mae: number;
  @ApiProperty({ example: 1270, description: 'How many holdout rows' }) rows: number;
  @ApiProperty({ example: 7, description: 'The training run that ranked the champions' })
  trainingRunId: number;
  @ApiProperty({ description: 'Content hash of the dataset whose holdout rows were used' })
  contentHash: string;
}

class HoldoutPointDto {
  @ApiProperty({ example: 5210, description: 'The price of the holdout row, USD' }) actual: number;
  @ApiProperty({ example: 5080.5, description: 'The price the version gave it, USD' })
  predicted: number;
}

export class VersionDetailDto extends VersionSummaryDto {
  @ApiProperty({
    description: 'Hyperparameters of the model',
    example: { max_depth: 7, learning_rate: 0.05 },
  })
  params: Record<string, unknown>;
  @ApiProperty({ description: 'The data it saw: ingestion batches, row count, content hash' })
  lineage: Record<string, unknown>;
  @ApiProperty({ description: 'How the rows were split into training and holdout' }) split: Record<
    string,
    unknown
  >;
  @ApiProperty() seed: number;
  @ApiProperty({ example: '0.1.0+3f2a9c1d0e4b' }) codeVersion: string;
  @ApiProperty() fitMs: number;
  @ApiProperty() searchMs: number;
  @ApiProperty({
    nullable: true,
    description: 'The promotion gate: champion re-scored on the same holdout rows',
  })
  comparison: Record<string, unknown> | null;
  @ApiProperty({
    nullable: true,
    description:
      'Range of each feature and of the price among the training rows (null for versions trained before they were kept)',
  })
  trainingRanges: Record<string, unknown> | null;
  @ApiProperty({
    description: 'Every search trial: params, score (inner MAE), duration, state',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
  })
  trials: unknown[];
  @ApiProperty({ description: 'Artifact file, size and sha256' }) artifact: {
    path: string;
    size: number;
    sha256: string;
  };
  @ApiProperty({
    nullable: true,
    description:
      "The split model's artifact (fitted on the training side only; what the promotion gate scores): file, size and sha256. null for versions older than it",
  })
  splitArtifact: { path: string; size: number; sha256: string } | null;
  @ApiProperty({
    nullable: true,
    type: ChampionRankingDto,
    description:
      "Its split model's MAE on the holdout rows of the run that last ranked every champion on the same rows: the default model is the lowest. null: never ranked",
  })
  ranking: ChampionRankingDto | null;
  @ApiProperty({
    type: [HoldoutPointDto],
    description: 'Holdout (actual, predicted) pairs for plots',
  })
  holdoutSample: HoldoutPointDto[];
  @ApiProperty({
    nullable: true,
    description:
      'Price-range calibration (split-conformal on the holdout, log scale): the quantile of |log(actual/predicted)| at each level 0.50-0.99, and cross-checked coverage. null: this version gives no range.',
  })
  calibration: Record<string, unknown> | null;
}

class SearchTrialPointDto {
  @ApiProperty({ example: 7 }) number: number;
  @ApiProperty({ enum: ['complete', 'pruned', 'failed'] }) state: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 341.2,
    description:
      'Validation MAE (USD) of a complete trial; of a pruned one, the last value it reported',
  })
  mae: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 330.5,
    description: 'Best complete MAE so far',
  })
  bestSoFar: number | null;
  @ApiProperty() pruned: boolean;
}

class PriceBandErrorDto {
  @ApiProperty({ example: '$1,000–2,500' }) band: string;
  @ApiProperty({ example: 1000 }) from: number;
  @ApiProperty({ type: Number, nullable: true, example: 2500, description: 'null: no upper end' })
  to: number | null;
  @ApiProperty({ example: 230 }) rows: number;
  @ApiProperty({ example: 120.4, description: 'Mean absolute error, USD' }) mae: number;
  @ApiProperty({ example: 0.071, description: 'Mean absolute error relative to the price' })
  mape: number;
  @ApiProperty({ example: -12.3, description: 'Mean of predicted − actual, USD (> 0: overprices)' })
  bias: number;
}

class FeatureImportanceEntryDto {
  @ApiProperty({ example: 'carat' }) feature: string;
  @ApiProperty({ example: 2210.4 }) importance: number;
}

class FeatureImportanceDto {
  @ApiProperty({
    enum: ['standardised-coefficient', 'permutation'],
    description:
      'linear: |coefficient| × the design column’s standard deviation (log-price units); trees: holdout MAE increase (USD) when the feature is shuffled (the XGBoost WebAssembly build exposes no gain)',
  })
  method: string;
  @ApiProperty({ type: [FeatureImportanceEntryDto] })
  features: FeatureImportanceEntryDto[];
}

class CoverageCheckDto {
  @ApiProperty({ example: 0.9 }) level: number;
  @ApiProperty({
    example: 0.902,
    description: 'Share of holdout prices inside the range (2-fold cross-conformal)',
  })
  coverage: number;
}

export class VersionTrustDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ type: [SearchTrialPointDto], description: 'Empty when nothing was searched' })
  searchHistory: SearchTrialPointDto[];
  @ApiProperty({ type: [PriceBandErrorDto], nullable: true })
  errorByPriceBand: PriceBandErrorDto[] | null;
  @ApiProperty({ type: FeatureImportanceDto, nullable: true })
  featureImportance: FeatureImportanceDto | null;
  @ApiProperty({
    type: [CoverageCheckDto],
    nullable: true,
    description: 'Range calibration: coverage at several levels against the level asked',
  })
  rangeCalibration: CoverageCheckDto[] | null;
  @ApiProperty({
    type: [String],
    description: 'Why a part is missing (older versions, tiny holdouts)',
  })
  notes: string[];
}

export class CompareDto {
  @ApiProperty({ type: VersionSummaryDto }) a: VersionSummaryDto;
  @ApiProperty({ type: VersionSummaryDto }) b: VersionSummaryDto;
  @ApiProperty({ description: 'b minus a for each metric (negative MAE = b is better)' })
  metricsDelta: Record<string, number>;
  @ApiProperty({ description: 'Parameters that differ: { name: [a, b] }' }) paramsChanged: Record<
    string,
    [unknown, unknown]
  >;
  @ApiProperty({ description: 'Whether both saw the same data' }) sameData: boolean;
}

export class LedgerEntryDto {
  @ApiProperty() id: number;
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 'champion' }) alias: string;
  @ApiProperty({ type: Number, nullable: true, example: 2 }) fromVersion: number | null;
  @ApiProperty({ example: 3 }) toVersion: number;
  @ApiProperty({ enum: ['promotion', 'manual-promote', 'rollback'] }) action: string;
  @ApiProperty({ example: 'holdout MAE 280.10 beats champion v2 (291.77 on the same rows)' })
  reason: string;
  @ApiProperty({ example: 'run 12' }) actor: string;
  @ApiProperty() createdAt: string;
}

export class CompareQueryDto {
  @ApiProperty({ example: 1, description: 'First version number' })
  @Transform(toQueryInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  a: number;

  @ApiProperty({ example: 2, description: 'Second version number' })
  @Transform(toQueryInteger)
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  b: number;
}

export class LedgerQueryDto {
  @ApiPropertyOptional({ example: 'xgboost' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,50}$/, { message: 'family must be a family name such as xgboost' })
  family?: string;
}

export class PromoteDto {
  @ApiProperty({
    example: 2,
    description: 'Version to make champion',
    minimum: 1,
    maximum: MAX_INT32,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_INT32)
  version: number;

  @ApiPropertyOptional({ example: 'v3 misprices large stones; back to v2 while we look' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    example: 'alice',
    description: 'Who asks (recorded in the ledger); default "admin"',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

export class RollbackDto {
  @ApiPropertyOptional({ example: 'new champion misprices large stones' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({ example: 'alice' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

export function toVersionSummaryDto(v: ModelVersionInfo | ModelVersionEntity): VersionSummaryDto {
  return {
    family: v.family,
    version: v.version,
    status: v.status,
    createdAt: new Date(v.createdAt).toISOString(),
    metrics: v.metrics,
    trainingRunId: v.trainingRunId,
  };
}

export function toFamilyDto(f: FamilySummary): FamilyDto {
  return {
    family: f.family,
    description: f.description,
    versions: f.versions,
    champion: f.champion ? toVersionSummaryDto(f.champion) : null,
  };
}

export function toVersionDetailDto(v: ModelVersionEntity): VersionDetailDto {
  return {
    ...toVersionSummaryDto(v),
    params: v.params,
    lineage: v.lineage as unknown as Record<string, unknown>,
    split: v.split as unknown as Record<string, unknown>,
    seed: v.seed,
    codeVersion: v.codeVersion,
    fitMs: v.fitMs,
    searchMs: v.searchMs,
    comparison: v.comparison as unknown as Record<string, unknown> | null,
    trainingRanges: (v.trainingRanges ?? null) as unknown as Record<string, unknown> | null,
    trials: v.trials,
    artifact: { path: v.artifactPath, size: v.artifactSize, sha256: v.artifactSha256 },
    splitArtifact: v.splitArtifact ?? null,
    ranking: v.ranking
      ? {
          mae: v.ranking.mae,
          rows: v.ranking.rows,
          trainingRunId: v.ranking.trainingRunId,
          contentHash: v.ranking.contentHash,
        }
      : null,
    holdoutSample: v.holdoutSample,
    calibration: (v.calibration as unknown as Record<string, unknown>) ?? null,
  };
}

export function toVersionTrustDto(v: ModelVersionEntity): VersionTrustDto {
  const notes: string[] = [];
  if (!v.diagnostics)
    notes.push('no error-by-band or feature importance: trained before they were recorded');
  else if (!v.diagnostics.featureImportance) notes.push('no feature importance: empty holdout');
  if (!v.calibration)
    notes.push('no range calibration: trained before price ranges, or holdout under 99 rows');
  return {
    family: v.family,
    version: v.version,
    searchHistory: searchHistory(v.trials),
    errorByPriceBand: v.diagnostics?.errorByPriceBand ?? null,
    featureImportance: v.diagnostics?.featureImportance ?? null,
    rangeCalibration: v.calibration?.checks ?? null,
    notes,
  };
}

export function toLedgerEntryDto(
  e: AliasLedgerEntity & { fromVersion: number | null; toVersion: number },
): LedgerEntryDto {
  return {
    id: e.id,
    family: e.family,
    alias: e.alias,
    fromVersion: e.fromVersion,
    toVersion: e.toVersion,
    action: e.action,
    reason: e.reason,
    actor: e.actor,
    createdAt: new Date(e.createdAt).toISOString(),
  };
}

export function compareVersions(a: ModelVersionEntity, b: ModelVersionEntity): CompareDto {
  const metricsDelta: Record<string, number> = {};
  for (const key of ['r2', 'mae', 'rmse', 'mape'] as const)
    metricsDelta[key] = b.metrics[key] - a.metrics[key];
  const paramsChanged: Record<string, [unknown, unknown]> = {};
  for (const key of new Set([...Object.keys(a.params), ...Object.keys(b.params)])) {
    if (JSON.stringify(a.params[key]) !== JSON.stringify(b.params[key]))
      paramsChanged[key] = [a.params[key] ?? null, b.params[key] ?? null];
  }
  return {
    a: toVersionSummaryDto(a),
    b: toVersionSummaryDto(b),
    metricsDelta,
    paramsChanged,
    sameData: a.lineage.contentHash === b.lineage.contentHash,
  };
}
