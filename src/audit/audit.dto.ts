import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { MAX_INT32 } from '../common/parse-id.pipe';
import { IsStorableDate, toQueryInteger } from '../common/query-number';
import { IsDate, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AuditRecordEntity } from './entities/audit-record.entity';

/** Filters and page of GET /v1/admin/audit-records. */
export class AuditRecordQueryDto {
  @ApiPropertyOptional({
    description: 'Route pattern, exactly as recorded',
    example: '/v1/predictions',
  })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  route?: string;

  @ApiPropertyOptional({ description: 'HTTP status', example: 400, minimum: 100, maximum: 599 })
  @IsOptional()
  @Transform(toQueryInteger)
  @IsInt()
  @Min(100)
  @Max(599)
  status?: number;

  @ApiPropertyOptional({
    description: 'Requests that arrived at or after this time (ISO 8601)',
    example: '2026-01-01T00:00:00Z',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  @IsStorableDate()
  from?: Date;

  @ApiPropertyOptional({
    description: 'Requests that arrived before this time (ISO 8601)',
    example: '2026-01-02T00:00:00Z',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  @IsStorableDate()
  to?: Date;

  @ApiPropertyOptional({
    description: 'The X-Request-Id of the request',
    example: 'b3f1c1d2-0f53-4a55-9d2e-3f6c0a2b9e11',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  requestId?: string;

  @ApiPropertyOptional({ description: 'Model family that served the request', example: 'xgboost' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  modelFamily?: string;

  @ApiPropertyOptional({
    description: 'Model version that served the request',
    example: 3,
    minimum: 1,
  })
  @IsOptional()
  @Transform(toQueryInteger)
  @IsInt()
  @Min(0)
  @Max(MAX_INT32)
  modelVersion?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, {
    message: 'cursor must be a nextCursor returned by this endpoint',
  })
  cursor?: string;

  @ApiPropertyOptional({ description: 'Records per page', default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditRecordDto {
  @ApiProperty({ description: 'Record id (UUID)', example: '0b8e7c52-6b0f-4a57-8f0e-5b3c1d7e9a10' })
  id: string;

  @ApiProperty({ description: "X-Request-Id of the request (the caller's, or generated)" })
  requestId: string;

  @ApiProperty({ description: 'When the request arrived', type: String, format: 'date-time' })
  occurredAt: string;

  @ApiProperty({ example: 'POST' })
  method: string;

  @ApiProperty({
    description: 'Route pattern; null when no route matched',
    nullable: true,
    type: String,
    example: '/v1/admin/audit-records/:id',
  })
  route: string | null;

  @ApiProperty({
    description: 'Path and query as sent, secrets redacted',
    example: '/v1/admin/audit-records?status=500',
  })
  url: string;

  @ApiProperty({ description: 'Parsed query, secrets redacted', nullable: true, type: Object })
  query: Record<string, unknown> | null;

  @ApiProperty({
    description: 'Request body (JSON text, secrets redacted, truncated past AUDIT_BODY_MAX_BYTES)',
    nullable: true,
    type: String,
  })
  requestBody: string | null;

  @ApiProperty({ example: 200 })
  status: number;

  @ApiProperty({
    description: 'Response body (truncated past AUDIT_BODY_MAX_BYTES)',
    nullable: true,
    type: String,
  })
  responseBody: string | null;

  @ApiProperty({ description: 'Time to the response, in milliseconds', example: 3.2 })
  durationMs: number;

  @ApiProperty({ nullable: true, type: String, example: '127.0.0.1' })
  clientIp: string | null;

  @ApiProperty({ nullable: true, type: String })
  userAgent: string | null;

  @ApiProperty({
    description: 'Model family that served the request',
    nullable: true,
    type: String,
  })
  modelFamily: string | null;

  @ApiProperty({
    description: 'Model version that served the request',
    nullable: true,
    type: Number,
  })
  modelVersion: number | null;

  @ApiProperty({ description: 'Error message of a failed request', nullable: true, type: String })
  errorMessage: string | null;
}

export class AuditRecordPageDto {
  @ApiProperty({ type: [AuditRecordDto], description: 'Newest first' })
  items: AuditRecordDto[];

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page',
    nullable: true,
    type: String,
  })
  nextCursor: string | null;
}

export class AuditStatsDto {
  @ApiProperty({ description: 'Records waiting to be written (memory plus spool-only)' })
  queueDepth: number;

  @ApiProperty({ description: 'Bytes of the local spool files' })
  spoolBytes: number;

  @ApiProperty({ description: 'Records written since start' })
  written: number;

  @ApiProperty({ description: 'Failed (and retried) batch writes since start' })
  failedWrites: number;

  @ApiProperty() inMemory: number;
  @ApiProperty() inMemoryBytes: number;
  @ApiProperty() spoolSegments: number;
  @ApiProperty({ description: 'Records lost because neither the spool nor memory could take them' })
  dropped: number;
  @ApiProperty({
    description:
      'Spool write(2) failures (those records were in memory only, or lost: see dropped)',
  })
  spoolAppendErrors: number;
  @ApiProperty({
    description:
      'Spool fdatasync failures (the records are written but not known to be on the disk)',
  })
  spoolSyncErrors: number;
  @ApiProperty({
    description: 'Records the database refused for their data (kept in the quarantine file)',
  })
  quarantined: number;
  @ApiProperty({
    description:
      "Records of a crashed run's spool not written at replay: another replica answered and audited their request (same request id, method, URL and body) after a load balancer's retry",
  })
  answeredElsewhere: number;

  @ApiProperty({ description: 'Spool lines that could not be read back' }) unreadable: number;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;

  @ApiProperty({
    description: 'Age in seconds of the oldest record not yet in the database (0 when none waits)',
  })
  writeLagSeconds: number;
}

export function toAuditRecordDto(e: AuditRecordEntity): AuditRecordDto {
  return {
    id: e.id,
    requestId: e.requestId,
    occurredAt: new Date(e.occurredAt).toISOString(),
    method: e.method,
    route: e.route,
    url: e.url,
    query: e.query,
    requestBody: e.requestBody,
    status: e.status,
    responseBody: e.responseBody,
    durationMs: Number(e.durationMs),
    clientIp: e.clientIp,
    userAgent: e.userAgent,
    modelFamily: e.modelFamily,
    modelVersion: e.modelVersion,
    errorMessage: e.errorMessage,
  };
}
