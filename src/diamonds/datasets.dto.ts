import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { toQueryInteger } from '../common/query-number';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import type { IngestionReport } from './diamonds.service';
import type { BatchRetractionEntity } from './entities/batch-retraction.entity';
import {
  batchStatus,
  type BatchStatus,
  type IngestionBatchEntity,
} from './entities/ingestion-batch.entity';
import type { RejectedRowEntity } from './entities/rejected-row.entity';

export class UploadQueryDto {
  @ApiPropertyOptional({
    example: 'batch-2026-11.csv',
    description: 'Name recorded with the batch (letters, digits, . _ -); default upload-<time>.csv',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message:
      'filename may only contain letters, digits, ".", "_" and "-", starting with a letter or digit',
  })
  filename?: string;
}

export class RejectedRowsQueryDto {
  @ApiPropertyOptional({ example: 100, minimum: 1, maximum: 10000, default: 1000 })
  @IsOptional()
  @Transform(toQueryInteger)
  @IsInt()
  @Min(1)
  @Max(10000)
  limit?: number;
}

export class RejectionDto {
  @ApiProperty({ example: 3, description: 'Line of the file (the header is line 1)' })
  lineNumber: number;
  @ApiProperty({ example: '0.5,Ideal,G,VS1,61.5,56.0,-1,5.1,5.13,3.15' }) rawText: string;
  @ApiProperty({ example: ['price must be > 0, got -1'] }) reasons: string[];
}

export class IngestionReportDto {
  @ApiProperty({
    enum: ['ingested', 'duplicate'],
    description: 'duplicate: the same file (sha256) was ingested before; nothing added',
  })
  outcome: 'ingested' | 'duplicate';
  @ApiProperty({ example: 4 }) batchId: number;
  @ApiProperty({ example: 'batch-2026-11.csv' }) sourceName: string;
  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
  sha256: string;
  @ApiProperty({ example: 998 }) accepted: number;
  @ApiProperty({ example: 2 }) rejected: number;
  @ApiProperty({
    type: [RejectionDto],
    description:
      'The first 20 rejections; all are at GET /v1/admin/datasets/{batchId}/rejected-rows',
  })
  rejections: RejectionDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    example:
      'batch 4 is retracted (its rows are out of the dataset); to bring it back, POST /v1/admin/datasets/4/restore',
    description:
      "A duplicate's batch state when it matters (retracted, or held by the price check) and what to do; null otherwise",
  })
  note: string | null;
}

export class DatasetBatchDto {
  @ApiProperty({ example: 4 }) id: number;
  @ApiProperty({ example: 'batch-2026-11.csv' }) sourceName: string;
  @ApiProperty({ enum: ['bundled', 'drop-folder', 'upload', 'cli', 'api', 'outcomes'] })
  sourceKind: string;
  @ApiProperty() sha256: string;
  @ApiProperty({ example: 51234 }) sizeBytes: number;
  @ApiProperty({ example: 998 }) acceptedCount: number;
  @ApiProperty({ example: 2 }) rejectedCount: number;
  @ApiProperty({ example: '2026-11-27T02:00:00.000Z' }) createdAt: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When an admin retracted the batch (its rows left the dataset); null if in use',
  })
  retractedAt: string | null;
  @ApiProperty({
    enum: ['active', 'held', 'retracted'],
    description:
      'active: its rows are in the dataset; held: the price check held it out of training until an admin accepts (POST .../accept) or retracts it; retracted: taken out by an admin (POST .../restore brings it back)',
  })
  status: BatchStatus;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'held: median log(actual/predicted) +1.099 is beyond ±0.1 (prices × 3.00 as a whole)',
    description: 'Why the price check held it (kept after it is accepted); null if never held',
  })
  holdReason: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When an admin accepted the held batch into the dataset; null otherwise',
  })
  acceptedAt: string | null;
}

export class AcceptBatchDto {
  @ApiPropertyOptional({ example: 'alice', description: 'Who accepts; default "admin"' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

export class RetractBatchDto {
  @ApiProperty({
    example: 'carat 1e308 on line 12: the supplier sent a corrupt export',
    description: 'Why the batch is taken out (recorded in the retraction ledger)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({ example: 'alice', description: 'Who asks; default "admin"' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

export class RetractionDto {
  @ApiProperty({ example: 1 }) id: number;
  @ApiProperty({ example: 4 }) batchId: number;
  @ApiProperty({ example: 'corrupt export' }) reason: string;
  @ApiProperty({ example: 'alice' }) actor: string;
  @ApiProperty({ example: 998, description: 'Accepted rows that left the dataset' })
  rowsRemoved: number;
  @ApiProperty({ example: '2026-11-27T02:00:00.000Z' }) createdAt: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the batch was restored into the dataset; null while it stays retracted',
  })
  restoredAt: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'alice' }) restoredBy: string | null;
}

export const toRetractionDto = (r: BatchRetractionEntity): RetractionDto => ({
  id: r.id,
  batchId: r.batchId,
  reason: r.reason,
  actor: r.actor,
  rowsRemoved: r.rowsRemoved,
  createdAt: new Date(r.createdAt).toISOString(),
  restoredAt: r.restoredAt ? new Date(r.restoredAt).toISOString() : null,
  restoredBy: r.restoredBy ?? null,
});

export const toIngestionReportDto = (r: IngestionReport): IngestionReportDto => ({
  ...r,
  rejections: r.rejections.map((x) => ({ ...x })),
});

export const toDatasetBatchDto = (b: IngestionBatchEntity): DatasetBatchDto => ({
  id: b.id,
  sourceName: b.sourceName,
  sourceKind: b.sourceKind,
  sha256: b.sha256,
  sizeBytes: b.sizeBytes,
  acceptedCount: b.acceptedCount,
  rejectedCount: b.rejectedCount,
  createdAt: b.createdAt.toISOString(),
  retractedAt: b.retractedAt ? new Date(b.retractedAt).toISOString() : null,
  status: batchStatus(b),
  holdReason: b.holdReason ?? null,
  acceptedAt: b.acceptedAt ? new Date(b.acceptedAt).toISOString() : null,
});

export const toRejectionDto = (r: RejectedRowEntity): RejectionDto => ({
  lineNumber: r.lineNumber,
  rawText: r.rawText,
  reasons: r.reasons,
});
