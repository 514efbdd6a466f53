import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { TrainingRunEntity } from './training-run.entity';

export class StartRunDto {
  @ApiPropertyOptional({
    example: 100,
    description: 'Search trials per searchable family (default SEARCH_TRIALS)',
    minimum: 0,
    maximum: 2000,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2000)
  trials?: number;

  @ApiPropertyOptional({
    example: ['linear', 'xgboost'],
    description: 'Families to train (default: all)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  families?: string[];
}

export class RunStartedDto {
  @ApiProperty({ example: 7 }) runId: number;
  @ApiProperty({ example: 'running' }) status: string;
  @ApiProperty({ example: '/v1/admin/training-runs/7' }) href: string;
}

class RunGateDto {
  @ApiProperty({
    example: 1270,
    description: "Holdout rows the decision was made on: neither model's fit saw them",
  })
  rows: number;
  @ApiProperty({ type: Number, nullable: true, example: 3, description: 'null: no champion' })
  championVersion: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 298.4,
    description:
      "The champion's MAE (USD) on those rows; null when it has none or could not be scored",
  })
  championMae: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 287.1,
    description: "The candidate's MAE (USD) on those rows; null when there were no rows",
  })
  candidateMae: number | null;
  @ApiProperty({ example: true }) promoted: boolean;
  @ApiProperty({
    enum: ['no-champion', 'champion-unavailable', 'no-rows', 'paired-bootstrap'],
    description:
      '`paired-bootstrap`: promoted when the 95 % upper bound of candidate MAE − champion MAE (seeded paired bootstrap of the per-row absolute errors) is below PROMOTION_TOLERANCE × champion MAE',
  })
  basis: string;
  @ApiProperty({
    example:
      'promoted: the candidate is better beyond the noise on 1270 rows neither model was fitted on (both split models): …',
  })
  reason: string;
}

export class RunOutcomeDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiPropertyOptional({ example: 4 }) version?: number;
  @ApiPropertyOptional({ example: true }) promoted?: boolean;
  @ApiPropertyOptional({
    example: 301.2,
    description: "The new version's holdout MAE (its split model)",
  })
  mae?: number;
  @ApiPropertyOptional({
    type: RunGateDto,
    description: 'The promotion gate: the rows, both MAEs on them, the decision and why',
  })
  gate?: RunGateDto;
  @ApiPropertyOptional() error?: string;
}

class DriftFlagDto {
  @ApiProperty({ example: 4 }) batchId: number;
  @ApiProperty({ example: 1.9 }) maxPsi: number;
  @ApiProperty({ example: 'carat' }) maxPsiFeature: string;
  @ApiProperty({ example: 0.31 }) outsideShare: number;
}

class RunDriftFlagsDto {
  @ApiProperty({ example: 0.25 }) threshold: number;
  @ApiProperty({ type: [DriftFlagDto] }) flagged: DriftFlagDto[];
}

class HeldBatchDto {
  @ApiProperty({ example: 5 }) batchId: number;
  @ApiProperty({
    example:
      "held: median log(actual/predicted) +1.099 is beyond ±0.1 (prices × 3.00 as a whole); 100.0 % of rows are outside the champion's 90 % range (at most 25.0 %; 10 % expected); against xgboost-blend v1",
  })
  reason: string;
  @ApiProperty({ example: 1000, description: 'Accepted rows of the batch' }) rows: number;
  @ApiProperty({
    example: 655,
    description:
      "Rows inside the champion's training ranges (measurements and price): the ones judged",
  })
  judgedRows: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1,
    description: "Share of judged rows outside the champion's 90 % range (10 % expected)",
  })
  outsideShare: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1.099,
    description: 'Median log(actual / predicted) of the judged rows (0 expected)',
  })
  medianLogRatio: number | null;
}

export class TrainingRunDto {
  @ApiProperty() id: number;
  @ApiProperty({ enum: ['schedule', 'admin', 'cli', 'first-start'] }) trigger: string;
  @ApiProperty({
    enum: ['running', 'succeeded', 'partial', 'failed', 'skipped'],
    description: "`partial`: some families failed (each one's reason in `outcomes` and `error`)",
  })
  status: string;
  @ApiProperty() startedAt: string;
  @ApiProperty({ type: String, nullable: true }) finishedAt: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 412.5 }) durationSeconds: number | null;
  @ApiProperty() trials: number;
  @ApiProperty({ type: [String] }) families: string[];
  @ApiProperty({ type: String, nullable: true }) datasetHash: string | null;
  @ApiProperty({ type: Number, nullable: true }) rowCount: number | null;
  @ApiProperty({ type: [RunOutcomeDto] }) outcomes: RunOutcomeDto[];
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ example: 'host:1234' }) instance: string;
  @ApiProperty({
    type: RunDriftFlagsDto,
    nullable: true,
    description:
      "Batches new since the champion trained that drifted beyond DRIFT_PSI_THRESHOLD (largest per-feature PSI against the champion's training data); flagged by the first run after their ingestion",
    example: {
      threshold: 0.25,
      flagged: [{ batchId: 4, maxPsi: 1.9, maxPsiFeature: 'carat', outsideShare: 0.31 }],
    },
  })
  drift: RunDriftFlagsDto | null;
  @ApiProperty({
    type: [HeldBatchDto],
    nullable: true,
    description:
      "Batches held out of this run (both sides of the split, and the data hash) because their prices disagree with the default champion's calibrated ranges; each waits for an admin: POST /v1/admin/datasets/{batchId}/accept or .../retract. null on runs from before the check",
  })
  heldBatches: HeldBatchDto[] | null;
}

export class ListRunsQueryDto {
  @ApiPropertyOptional({ example: 20, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export function toTrainingRunDto(r: TrainingRunEntity): TrainingRunDto {
  const started = new Date(r.startedAt);
  const finished = r.finishedAt ? new Date(r.finishedAt) : null;
  return {
    id: r.id,
    trigger: r.trigger,
    status: r.status,
    startedAt: started.toISOString(),
    finishedAt: finished ? finished.toISOString() : null,
    durationSeconds: finished ? (finished.getTime() - started.getTime()) / 1000 : null,
    trials: r.trials,
    families: r.families,
    datasetHash: r.datasetHash,
    rowCount: r.rowCount,
    outcomes: r.outcomes,
    error: r.error,
    instance: r.instance,
    drift: r.drift ?? null,
    heldBatches: r.heldBatches ?? null,
  };
}
