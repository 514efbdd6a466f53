import { ApiProperty } from '@nestjs/swagger';
import type { BatchStatus } from '../../diamonds/entities/ingestion-batch.entity';
import type { BatchDriftEntity } from './batch-drift.entity';
import { MIN_DRIFT_ROWS } from './drift.calculator';

class FeatureDriftDto {
  @ApiProperty({ example: 'carat' }) feature: string;
  @ApiProperty({ enum: ['numeric', 'categorical'] }) kind: string;
  @ApiProperty({
    example: 0.031,
    description: 'Population stability index against the reference (< 0.1 stable, > 0.25 shifted)',
  })
  psi: number;
  @ApiProperty({
    required: false,
    type: [Number],
    minItems: 2,
    maxItems: 2,
    example: [0.23, 3.01],
    description: 'Numeric: the trained [min, max]',
  })
  trainedRange?: [number, number];
  @ApiProperty({
    required: false,
    example: 0.004,
    description: 'Numeric: share of rows outside it',
  })
  outsideShare?: number;
}

class DriftReferenceDto {
  @ApiProperty({ example: 'xgboost' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
}

export class BatchDriftDto {
  @ApiProperty({ example: 4 }) batchId: number;
  @ApiProperty({
    type: DriftReferenceDto,
    description: 'The champion whose training rows are the reference',
  })
  reference: DriftReferenceDto;
  @ApiProperty({ example: 5000 }) referenceRows: number;
  @ApiProperty({ example: 1000 }) batchRows: number;
  @ApiProperty({ example: 0.031 }) maxPsi: number;
  @ApiProperty({ example: 'carat' }) maxPsiFeature: string;
  @ApiProperty({
    example: 0.004,
    description: 'Share of rows with at least one measurement outside the trained range',
  })
  outsideShare: number;
  @ApiProperty({ example: 0.25, description: 'DRIFT_PSI_THRESHOLD when assessed' })
  threshold: number;
  @ApiProperty({
    description: `maxPsi > threshold, on at least ${MIN_DRIFT_ROWS} rows (never with fewer)`,
  })
  drifted: boolean;
  @ApiProperty({
    enum: ['stable', 'drifted', 'too-few-rows'],
    description: `too-few-rows: under ${MIN_DRIFT_ROWS} rows the PSI says nothing (a handful of rows leaves most bins empty), so it is not judged`,
  })
  verdict: 'stable' | 'drifted' | 'too-few-rows';
  @ApiProperty({
    enum: ['active', 'held', 'retracted'],
    description:
      "The batch's place in the dataset now: held by the price check until accepted, or retracted by an admin",
  })
  batchStatus: BatchStatus;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 12,
    description: 'The training run that flagged this drifted batch',
  })
  flaggedRunId: number | null;
  @ApiProperty({ type: [FeatureDriftDto] }) features: FeatureDriftDto[];
  @ApiProperty() assessedAt: string;
}

export function toBatchDriftDto(d: BatchDriftEntity, batchStatus: BatchStatus): BatchDriftDto {
  const drifted = Boolean(d.drifted);
  return {
    batchId: d.batchId,
    reference: { family: d.referenceFamily, version: d.referenceVersion },
    referenceRows: d.report.referenceRows,
    batchRows: d.report.batchRows,
    maxPsi: d.maxPsi,
    maxPsiFeature: d.report.maxPsiFeature,
    outsideShare: d.outsideShare,
    threshold: d.threshold,
    drifted,
    verdict: drifted ? 'drifted' : d.report.tooFewRows ? 'too-few-rows' : 'stable',
    batchStatus,
    flaggedRunId: d.flaggedRunId,
    features: d.report.features,
    assessedAt: new Date(d.createdAt).toISOString(),
  };
}
