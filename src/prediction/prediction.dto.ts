import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DEPTH_RANGE, TABLE_RANGE } from '../diamonds/diamond-row.validator';
import {
  CLARITIES,
  Clarity,
  Color,
  COLORS,
  Cut,
  CUTS,
  DiamondFeatures,
} from '../diamonds/diamond-vocabulary';
import type { IndexedDiamond } from '../diamonds/similar-diamonds.index';
import {
  DEFAULT_RANGE_LEVEL,
  MAX_RANGE_LEVEL,
  MIN_RANGE_LEVEL,
} from '../training/evaluation/price-range';

/** Largest batch accepted by POST /v1/prices/batch. */
export const MAX_BATCH_ITEMS = 1000;
/** Largest `n` of GET /v1/similar-diamonds. */
export const MAX_SIMILAR = 100;
export const DEFAULT_SIMILAR = 5;
export const MAX_CARAT = 10;
/** Millimetres; the largest stone of the public data measures under 60 mm. */
export const MAX_MEASUREMENT_MM = 100;

const NUMBER = { allowNaN: false, allowInfinity: false } as const;
const oneOf = (field: string, values: readonly string[]) =>
  `${field} must be one of: ${values.join(', ')}`;
const required = (field: string, what: string) => ({ message: `${field} is required: ${what}` });

/** Decorators shared by the optional measurements x, y, z (millimetres). */
function Measurement(axis: 'x' | 'y' | 'z', what: string, example: number) {
  return function (target: object, key: string) {
    ApiPropertyOptional({
      description: `${what} in mm, > 0 and ≤ ${MAX_MEASUREMENT_MM}. Optional; the linear model needs \`x\` (the XGBoost models estimate a missing one from the other attributes).`,
      example,
      exclusiveMinimum: true,
      minimum: 0,
      maximum: MAX_MEASUREMENT_MM,
      nullable: true,
      type: Number,
    })(target, key);
    IsOptional()(target, key);
    IsNumber(NUMBER, { message: `${axis} must be a number (mm)` })(target, key);
    IsPositive({ message: `${axis} must be > 0 (mm)` })(target, key);
    Max(MAX_MEASUREMENT_MM, { message: `${axis} must be ≤ ${MAX_MEASUREMENT_MM} (mm)` })(
      target,
      key,
    );
  };
}

/** An optional percentage within the range the data store accepts (depth, table). */
function Percentage(
  field: 'depth' | 'table',
  what: string,
  range: { min: number; max: number },
  example: number,
) {
  const outside = `${field} must be between ${range.min} and ${range.max} (%)`;
  return function (target: object, key: string) {
    ApiPropertyOptional({
      description: `${what}, ${range.min}-${range.max}.`,
      example,
      minimum: range.min,
      maximum: range.max,
      nullable: true,
      type: Number,
    })(target, key);
    IsOptional()(target, key);
    IsNumber(NUMBER, { message: `${field} must be a number (%)` })(target, key);
    Min(range.min, { message: outside })(target, key);
    Max(range.max, { message: outside })(target, key);
  };
}

/**
 * The diamond to price: the four Cs are required, the measurements optional. Which measurements a
 * model needs is the model family's business: `linear` needs `x`, `xgboost` takes any of them missing.
 */
export class DiamondFeaturesDto {
  @ApiProperty({
    description: `Weight in carats, > 0 and ≤ ${MAX_CARAT}.`,
    example: 0.7,
    exclusiveMinimum: true,
    minimum: 0,
    maximum: MAX_CARAT,
  })
  @IsDefined(required('carat', `a number of carats, > 0 and ≤ ${MAX_CARAT}`))
  @IsNumber(NUMBER, { message: 'carat must be a number (carats)' })
  @IsPositive({ message: 'carat must be > 0' })
  @Max(MAX_CARAT, { message: `carat must be ≤ ${MAX_CARAT}` })
  carat: number;

  @ApiProperty({ description: 'Cut quality, worst to best.', enum: CUTS, example: 'Ideal' })
  @IsDefined(required('cut', `one of ${CUTS.join(', ')}`))
  @IsIn(CUTS, { message: oneOf('cut', CUTS) })
  cut: Cut;

  @ApiProperty({ description: 'Colour grade, J (worst) to D (best).', enum: COLORS, example: 'G' })
  @IsDefined(required('color', `one of ${COLORS.join(', ')}`))
  @IsIn(COLORS, { message: oneOf('color', COLORS) })
  color: Color;

  @ApiProperty({
    description: 'Clarity grade, I1 (worst) to IF (best).',
    enum: CLARITIES,
    example: 'VS1',
  })
  @IsDefined(required('clarity', `one of ${CLARITIES.join(', ')}`))
  @IsIn(CLARITIES, { message: oneOf('clarity', CLARITIES) })
  clarity: Clarity;

  @Percentage('depth', 'Total depth percentage', DEPTH_RANGE, 61.5)
  depth?: number | null;

  @Percentage('table', 'Table width as a percentage of the diameter', TABLE_RANGE, 57)
  table?: number | null;

  @Measurement('x', 'Length', 5.7)
  x?: number | null;

  @Measurement('y', 'Width', 5.72)
  y?: number | null;

  @Measurement('z', 'Depth', 3.52)
  z?: number | null;
}

/** Which model should price: a family's champion, or one exact version. */
export class ModelSelectorDto {
  @ApiProperty({
    description: 'Model family, e.g. `linear` or `xgboost` (GET /v1/models lists them).',
    example: 'xgboost',
  })
  @IsDefined(required('model.family', 'a model family name such as linear or xgboost'))
  @IsString({ message: 'model.family must be a string' })
  @Matches(/^[a-z0-9_-]{1,64}$/, {
    message: 'model.family must be a family name (lowercase letters, digits, - or _)',
  })
  family: string;

  @ApiPropertyOptional({
    description: "A version of that family; omitted, the family's champion prices.",
    example: 3,
    minimum: 1,
  })
  @IsOptional()
  @IsInt({ message: 'model.version must be an integer' })
  @Min(1, { message: 'model.version must be ≥ 1' })
  version?: number;
}

const MODEL_PROPERTY = {
  description:
    "Optional. Names the model that prices: a family (its champion) or a family and version. Omitted, the service's default champion prices.",
  type: () => ModelSelectorDto,
} as const;

/** The optional `model` field of the pricing requests. */
function OptionalModelSelector() {
  return applyDecorators(
    ApiPropertyOptional(MODEL_PROPERTY),
    IsOptional(),
    IsObject({ message: 'model must be an object { family, version? }' }),
    ValidateNested(),
    Type(() => ModelSelectorDto),
  );
}

/** The optional `level` of the price range asked for. */
function RangeLevel() {
  const rule = `level must be a number between ${MIN_RANGE_LEVEL} and ${MAX_RANGE_LEVEL}`;
  return applyDecorators(
    ApiPropertyOptional({
      description: `Confidence of the price range, ${MIN_RANGE_LEVEL}-${MAX_RANGE_LEVEL} (default ${DEFAULT_RANGE_LEVEL}): the share of diamonds like this one whose true price falls inside it.`,
      example: DEFAULT_RANGE_LEVEL,
      default: DEFAULT_RANGE_LEVEL,
      minimum: MIN_RANGE_LEVEL,
      maximum: MAX_RANGE_LEVEL,
      type: Number,
    }),
    IsOptional(),
    IsNumber(NUMBER, { message: rule }),
    Min(MIN_RANGE_LEVEL, { message: rule }),
    Max(MAX_RANGE_LEVEL, { message: rule }),
  );
}

export class PriceRequestDto extends DiamondFeaturesDto {
  @OptionalModelSelector()
  model?: ModelSelectorDto;

  @RangeLevel()
  level?: number;
}

export class BatchPriceRequestDto {
  @ApiProperty({
    description: `1 to ${MAX_BATCH_ITEMS} diamonds, each as in POST /v1/prices (without \`model\`). Answers come in the same order.`,
    type: () => [DiamondFeaturesDto],
    minItems: 1,
    maxItems: MAX_BATCH_ITEMS,
  })
  @IsDefined(required('items', `an array of 1 to ${MAX_BATCH_ITEMS} diamonds`))
  @IsArray({ message: `items must be an array of 1 to ${MAX_BATCH_ITEMS} diamonds` })
  @ArrayMinSize(1, { message: 'items must contain at least 1 diamond' })
  @ArrayMaxSize(MAX_BATCH_ITEMS, {
    message: `items must contain at most ${MAX_BATCH_ITEMS} diamonds: split larger batches`,
  })
  @ValidateNested({ each: true })
  @Type(() => DiamondFeaturesDto)
  items: DiamondFeaturesDto[];

  @OptionalModelSelector()
  model?: ModelSelectorDto;

  @RangeLevel()
  level?: number;
}

export class ModelRefDto {
  @ApiProperty({ example: 'xgboost' })
  family: string;

  @ApiProperty({ example: 3 })
  version: number;
}

export class PriceRangeDto {
  @ApiProperty({ description: 'Lower end, USD (rounded down to the cent).', example: 2461.08 })
  low: number;

  @ApiProperty({ description: 'Upper end, USD (rounded up to the cent).', example: 3356.71 })
  high: number;

  @ApiProperty({
    description: 'Confidence: the share of true prices the range holds, as asked.',
    example: 0.9,
  })
  level: number;
}

const RANGE_PROPERTY = {
  type: () => PriceRangeDto,
  nullable: true,
  description:
    "Where the true price lies at the level asked (`level`, default 0.9): split-conformal calibration on the model version's holdout errors, relative to the price, so a dear stone gets a wider range in dollars. null when the version has no calibration (then `rangeUnavailable` says why).",
} as const;
const RANGE_UNAVAILABLE_PROPERTY = {
  type: String,
  description: 'Present only when `range` is null: why this model gives no range.',
  example:
    'this model version has no range calibration (trained before price ranges existed, or on a holdout under 99 rows); retrain or choose another version',
} as const;

export class PriceResponseDto {
  @ApiProperty({
    description: 'Estimated fair price in US dollars, rounded to the cent.',
    example: 2874.15,
  })
  price: number;

  @ApiProperty(RANGE_PROPERTY)
  range: PriceRangeDto | null;

  @ApiPropertyOptional(RANGE_UNAVAILABLE_PROPERTY)
  rangeUnavailable?: string;

  @ApiProperty({ enum: ['USD'], example: 'USD' })
  currency: 'USD';

  @ApiProperty({ description: 'The model version that priced the diamond.', type: ModelRefDto })
  model: ModelRefDto;

  @ApiProperty({
    description:
      "This request's id (also in the X-Request-Id header); quote it when reporting a problem.",
    example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11',
  })
  requestId: string;
}

export class PricedItemDto {
  @ApiProperty({ example: 2874.15 })
  price: number;

  @ApiProperty(RANGE_PROPERTY)
  range: PriceRangeDto | null;

  @ApiPropertyOptional(RANGE_UNAVAILABLE_PROPERTY)
  rangeUnavailable?: string;

  @ApiProperty({ enum: ['USD'], example: 'USD' })
  currency: 'USD';

  @ApiProperty({ type: ModelRefDto })
  model: ModelRefDto;
}

export class BatchPriceResponseDto {
  @ApiProperty({ description: 'One answer per diamond, in the order sent.', type: [PricedItemDto] })
  items: PricedItemDto[];

  @ApiProperty({ example: 2 })
  count: number;

  @ApiProperty({
    description: 'The model version that priced every item of the batch.',
    type: ModelRefDto,
  })
  model: ModelRefDto;

  @ApiProperty({ example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11' })
  requestId: string;
}

/** Query of GET /v1/similar-diamonds (query strings are text: numbers are converted, then checked). */
export class SimilarDiamondsQueryDto {
  @ApiProperty({ enum: CUTS, example: 'Ideal' })
  @IsDefined(required('cut', `one of ${CUTS.join(', ')}`))
  @IsIn(CUTS, { message: oneOf('cut', CUTS) })
  cut: Cut;

  @ApiProperty({ enum: COLORS, example: 'G' })
  @IsDefined(required('color', `one of ${COLORS.join(', ')}`))
  @IsIn(COLORS, { message: oneOf('color', COLORS) })
  color: Color;

  @ApiProperty({ enum: CLARITIES, example: 'VS1' })
  @IsDefined(required('clarity', `one of ${CLARITIES.join(', ')}`))
  @IsIn(CLARITIES, { message: oneOf('clarity', CLARITIES) })
  clarity: Clarity;

  @ApiProperty({
    description: `Weight in carats, > 0 and ≤ ${MAX_CARAT}.`,
    example: 0.7,
    exclusiveMinimum: true,
    minimum: 0,
    maximum: MAX_CARAT,
  })
  @IsDefined(required('carat', `a number of carats, > 0 and ≤ ${MAX_CARAT}`))
  @Type(() => Number)
  @IsNumber(NUMBER, { message: 'carat must be a number (carats)' })
  @IsPositive({ message: 'carat must be > 0' })
  @Max(MAX_CARAT, { message: `carat must be ≤ ${MAX_CARAT}` })
  carat: number;

  @ApiPropertyOptional({
    description: `How many diamonds to return, 1-${MAX_SIMILAR}.`,
    example: DEFAULT_SIMILAR,
    default: DEFAULT_SIMILAR,
    minimum: 1,
    maximum: MAX_SIMILAR,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `n must be an integer from 1 to ${MAX_SIMILAR}` })
  @Min(1, { message: `n must be ≥ 1` })
  @Max(MAX_SIMILAR, { message: `n must be ≤ ${MAX_SIMILAR}` })
  n: number = DEFAULT_SIMILAR;
}

export class SimilarDiamondDto {
  @ApiProperty({
    description: 'Row id in the dataset (lower = ingested earlier); breaks ties.',
    example: 1042,
  })
  id: number;

  @ApiProperty({ example: 0.7 })
  carat: number;

  @ApiProperty({ enum: CUTS, example: 'Ideal' })
  cut: Cut;

  @ApiProperty({ enum: COLORS, example: 'G' })
  color: Color;

  @ApiProperty({ enum: CLARITIES, example: 'VS1' })
  clarity: Clarity;

  @ApiProperty({ example: 61.6 })
  depth: number;

  @ApiProperty({ example: 56 })
  table: number;

  @ApiProperty({ example: 5.71 })
  x: number;

  @ApiProperty({ example: 5.74 })
  y: number;

  @ApiProperty({ example: 3.53 })
  z: number;

  @ApiProperty({ description: 'Price paid, USD.', example: 3091 })
  price: number;
}

export class SimilarDiamondsResponseDto {
  @ApiProperty({
    description:
      'Closest carat first. Ties: on equal carat distance the lighter diamond first; on equal carat the lower id first. ' +
      'Empty when no diamond of the dataset has this cut, color and clarity.',
    type: [SimilarDiamondDto],
  })
  items: SimilarDiamondDto[];

  @ApiProperty({ example: 5 })
  count: number;
}

/** The one error shape of the API (documented here for OpenAPI; the filter builds it). */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    example: 'Validation failed: cut must be one of: Fair, Good, Very Good, Premium, Ideal',
  })
  message: string;

  @ApiPropertyOptional({
    example: 'VALIDATION_FAILED',
    description: 'Stable machine-readable code.',
  })
  code?: string;

  @ApiPropertyOptional({
    description: 'For validation errors: each field and the rule it broke.',
    example: [
      {
        field: 'cut',
        rules: { isIn: 'cut must be one of: Fair, Good, Very Good, Premium, Ideal' },
      },
    ],
  })
  details?: unknown;

  @ApiProperty({ example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11' })
  requestId: string;
}

export function toFeatures(dto: DiamondFeaturesDto): DiamondFeatures {
  return {
    carat: dto.carat,
    cut: dto.cut,
    color: dto.color,
    clarity: dto.clarity,
    depth: dto.depth ?? null,
    table: dto.table ?? null,
    x: dto.x ?? null,
    y: dto.y ?? null,
    z: dto.z ?? null,
  };
}

export function toSimilarDiamondDto(d: IndexedDiamond): SimilarDiamondDto {
  return {
    id: d.id,
    carat: d.carat,
    cut: d.cut,
    color: d.color,
    clarity: d.clarity,
    depth: d.depth,
    table: d.table,
    x: d.x,
    y: d.y,
    z: d.z,
    price: d.price,
  };
}
