import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';

/** Largest price an outcome may carry, USD (ten million: beyond any stone of this store). */
export const MAX_OUTCOME_PRICE = 10_000_000;

export class RecordOutcomeDto {
  @ApiProperty({
    description:
      'The request id of the pricing answer (its `requestId`, also its X-Request-Id header).',
    example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11',
    pattern: '^[A-Za-z0-9._:-]{1,128}$',
  })
  @IsDefined({ message: 'requestId is required: the requestId of the pricing answer' })
  @IsString({ message: 'requestId must be a string' })
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, {
    message: 'requestId must be 1-128 of A-Z a-z 0-9 . _ : -',
  })
  requestId: string;

  @ApiPropertyOptional({
    description:
      "For a batch: the diamond's index in `items` (0-based). Default 0, the one diamond of POST /v1/prices.",
    example: 0,
    minimum: 0,
    default: 0,
  })
  @IsOptional()
  @IsInt({ message: 'item must be an integer' })
  @Min(0, { message: 'item must be ≥ 0' })
  @Max(999, { message: 'item must be ≤ 999' })
  item?: number;

  @ApiProperty({
    description: 'What the store paid for the diamond, USD.',
    example: 2650,
    exclusiveMinimum: true,
    minimum: 0,
    maximum: MAX_OUTCOME_PRICE,
  })
  @IsDefined({ message: 'price is required: what the store paid, USD' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'price must be a number of USD' })
  @Min(0.01, { message: 'price must be at least 0.01 USD' })
  @Max(MAX_OUTCOME_PRICE, { message: `price must be ≤ ${MAX_OUTCOME_PRICE} USD` })
  price: number;
}

class OutcomeModelDto {
  @ApiProperty({ example: 'xgboost-blend' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
}

export class OutcomeDto {
  @ApiProperty({ example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11' }) requestId: string;
  @ApiProperty({ example: 0 }) item: number;
  @ApiProperty({ description: 'What the store paid, USD.', example: 2650 }) price: number;
  @ApiProperty({ description: 'The price the service quoted, USD.', example: 2874.15 })
  quotedPrice: number;
  @ApiProperty({ description: 'The model version that quoted it.', type: OutcomeModelDto })
  model: OutcomeModelDto;
  @ApiProperty({
    description: 'true when this outcome replaced an earlier one for the same diamond.',
    example: false,
  })
  replaced: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) recordedAt: Date;
}

class ModelOutcomesDto {
  @ApiProperty({ example: 'xgboost-blend' }) family: string;
  @ApiProperty({ example: 3 }) version: number;
  @ApiProperty({ example: 42 }) count: number;
  @ApiProperty({ description: 'Mean |quoted − paid|, USD.', example: 301.5 }) mae: number;
}

class OutcomeCoverageDto {
  @ApiProperty({ description: 'Outcomes whose quote carried a range.', example: 40 })
  quotedWithRange: number;
  @ApiProperty({ description: 'Of those, paid prices inside the range quoted.', example: 36 })
  inside: number;
  @ApiProperty({
    description: 'inside / quotedWithRange (null when none): compare with the ranges’ level.',
    type: Number,
    nullable: true,
    example: 0.9,
  })
  share: number | null;
}

export class OutcomeSummaryDto {
  @ApiProperty({ description: 'Outcomes recorded (one per diamond).', example: 42 })
  count: number;
  @ApiProperty({
    description: 'Mean |quoted − paid| over every outcome, USD; null when there is none.',
    type: Number,
    nullable: true,
    example: 301.5,
  })
  mae: number | null;
  @ApiProperty({ type: [ModelOutcomesDto], description: 'Per model version that quoted.' })
  byModel: ModelOutcomesDto[];
  @ApiProperty({ type: OutcomeCoverageDto }) coverage: OutcomeCoverageDto;
}

export class OutcomeDatasetDto {
  @ApiProperty({
    description: 'The dataset batch made (null when no outcome was waiting).',
    type: Number,
    nullable: true,
    example: 12,
  })
  batchId: number | null;
  @ApiProperty({ description: 'Outcomes that went into it.', example: 42 }) outcomes: number;
  @ApiProperty({ description: 'Rows accepted.', example: 40 }) accepted: number;
  @ApiProperty({
    description: 'Rows rejected (e.g. a diamond priced without every measurement).',
    example: 2,
  })
  rejected: number;
}
