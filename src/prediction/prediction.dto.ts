import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  CLARITIES,
  Clarity,
  Color,
  COLORS,
  Cut,
  CUTS,
  DiamondFeatures,
} from '../diamonds/diamond-vocabulary';
import { MAX_INT32 } from '../common/parse-id.pipe';
import { toQueryInteger } from '../common/query-number';
import { BoundedNumber, Grade } from './diamond-fields.decorators';
import type { IndexedDiamond } from '../diamonds/similar-diamonds.index';
import {
  DEFAULT_RANGE_LEVEL,
  MAX_RANGE_LEVEL,
  MIN_RANGE_LEVEL,
} from '../model-runtime/evaluation/price-range';

/** Largest batch accepted by POST /v1/prices/batch. */
export const MAX_BATCH_ITEMS = 1000;
/**
 * Largest batch explained (`explain: true`): tree SHAP costs about 10-30 ms a diamond for each
 * 1,000 trees (the served blend has 4,000), against microseconds for the price alone
 * (docs/benchmarks.md); 100 diamonds is a few seconds of work.
 */
export const MAX_EXPLAIN_ITEMS = 100;
/** Largest `n` of GET /v1/similar-diamonds. */
export const MAX_SIMILAR = 100;
export const DEFAULT_SIMILAR = 5;
/** A model family's name (also the compiled check's pattern, hot-path-validation.ts). */
export const FAMILY_NAME = /^[a-z0-9_-]{1,64}$/;
const MEASUREMENT_NOTE =
  'Optional; the linear model needs `x` (the XGBoost models estimate a missing one from the other attributes).';

const required = (field: string, what: string) => ({ message: `${field} is required: ${what}` });

/**
 * The diamond to price: the four Cs are required, the measurements optional. Which measurements a
 * model needs is the model family's business: `linear` needs `x`, `xgboost` takes any of them missing.
 * Every range is FIELD_BOUNDS of the vocabulary, the CSV validator's too.
 */
export class DiamondFeaturesDto {
  @BoundedNumber('carat', { required: true, example: 0.7 })
  carat: number;

  @Grade('cut')
  cut: Cut;

  @Grade('color')
  color: Color;

  @Grade('clarity')
  clarity: Clarity;

  @BoundedNumber('depth', { required: false, example: 61.5 })
  depth?: number | null;

  @BoundedNumber('table', { required: false, example: 57 })
  table?: number | null;

  @BoundedNumber('x', { required: false, example: 5.7, note: MEASUREMENT_NOTE })
  x?: number | null;

  @BoundedNumber('y', { required: false, example: 5.72, note: MEASUREMENT_NOTE })
  y?: number | null;

  @BoundedNumber('z', { required: false, example: 3.52, note: MEASUREMENT_NOTE })
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
  @Matches(FAMILY_NAME, {
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
  @Max(MAX_INT32, { message: `model.version must be ≤ ${MAX_INT32}` })
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
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: rule }),
    Min(MIN_RANGE_LEVEL, { message: rule }),
    Max(MAX_RANGE_LEVEL, { message: rule }),
  );
}

/** The optional `explain` flag of the pricing requests. */
function ExplainFlag(what: string) {
  return applyDecorators(
    ApiPropertyOptional({
      description: `true adds \`explanation\` to ${what}: the model's baseline and what each column of the diamond adds to it or takes from it, in USD (baseline + the effects = price). Default false.`,
      type: Boolean,
      default: false,
      example: true,
    }),
    IsOptional(),
    IsBoolean({ message: 'explain must be true or false' }),
  );
}

export class PriceRequestDto extends DiamondFeaturesDto {
  @OptionalModelSelector()
  model?: ModelSelectorDto;

  @RangeLevel()
  level?: number;

  @ExplainFlag('the answer')
  explain?: boolean;
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

  @ExplainFlag(`every item of the answer (at most ${MAX_EXPLAIN_ITEMS} items then)`)
  explain?: boolean;
}

class ModelRefDto {
  @ApiProperty({ example: 'xgboost' })
  family: string;

  @ApiProperty({ example: 3 })
  version: number;
}

class OutsideTrainingRangeDto {
  @ApiProperty({ example: 'carat' }) field: string;
  @ApiProperty({ example: 7.5 }) value: number;
  @ApiProperty({ example: 0.2, description: 'Smallest value among the training rows' })
  trainedMin: number;
  @ApiProperty({ example: 5.01, description: 'Largest value among the training rows' })
  trainedMax: number;
}

const OUTSIDE_DOC: ApiPropertyOptions = {
  type: [OutsideTrainingRangeDto],
  description:
    'Fields of this diamond outside the range the model was trained on (empty when none): the price is an extrapolation, treat it with care.',
};
const CLAMPED_DOC = {
  example: false,
  description: `true when the model's own answer left the band of its training prices (from half the lowest to twice the highest) and the price was held at the band's edge.`,
};

class PriceRangeDto {
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

class ContributionDto {
  @ApiProperty({
    description:
      'A column of the diamond as sent (carat, cut, color, clarity, depth, table, x, y, z: the ones the model reads), or `clamp` when the price was held at the edge of the training prices (`priceClamped`).',
    enum: ['carat', 'cut', 'color', 'clarity', 'depth', 'table', 'x', 'y', 'z', 'clamp'],
    example: 'clarity',
  })
  feature: string;

  @ApiProperty({
    description:
      'The value sent for that column (a number or a grade); null for a column not sent (a measurement the model estimated: its effect is on the column it was estimated from, e.g. x on carat) and for `clamp`.',
    oneOf: [{ type: 'number' }, { type: 'string' }],
    nullable: true,
    example: 'SI2',
  })
  value: number | string | null;

  @ApiProperty({
    description: 'What this column adds to (or, negative, takes from) the baseline, USD.',
    example: -610.25,
  })
  effect: number;
}

export class ExplanationDto {
  @ApiProperty({
    description:
      "The model's expected price over its training diamonds (SHAP's base value), USD: where every diamond starts.",
    example: 3932.8,
  })
  baseline: number;

  @ApiProperty({
    description:
      'One line per column (and `clamp` when it acted); baseline + the sum of the effects = price, to the cent. Exact in the model’s own scale (tree SHAP; for linear, coefficient × the difference from the training mean), mapped to USD (for a log-price model effect = phi × (p − b) / (ln p − ln b)).',
    type: [ContributionDto],
  })
  contributions: ContributionDto[];
}

const EXPLANATION_PROPERTY = {
  type: () => ExplanationDto,
  description: 'Present only when `explain` was true: why this price.',
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

  @ApiProperty(OUTSIDE_DOC)
  outsideTrainingRange: OutsideTrainingRangeDto[];

  @ApiProperty(CLAMPED_DOC)
  priceClamped: boolean;

  @ApiPropertyOptional(EXPLANATION_PROPERTY)
  explanation?: ExplanationDto;

  @ApiProperty({
    description:
      "This request's id (also in the X-Request-Id header); quote it when reporting a problem.",
    example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11',
  })
  requestId: string;
}

class PricedItemDto {
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

  @ApiProperty(OUTSIDE_DOC)
  outsideTrainingRange: OutsideTrainingRangeDto[];

  @ApiProperty(CLAMPED_DOC)
  priceClamped: boolean;

  @ApiPropertyOptional(EXPLANATION_PROPERTY)
  explanation?: ExplanationDto;
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
  @Grade('cut')
  cut: Cut;

  @Grade('color')
  color: Color;

  @Grade('clarity')
  clarity: Clarity;

  @BoundedNumber('carat', { required: true, example: 0.7, query: true })
  carat: number;

  @ApiPropertyOptional({
    description: `How many diamonds to return, 1-${MAX_SIMILAR}.`,
    example: DEFAULT_SIMILAR,
    default: DEFAULT_SIMILAR,
    minimum: 1,
    maximum: MAX_SIMILAR,
  })
  @IsOptional()
  @Transform(toQueryInteger)
  @IsInt({ message: `n must be an integer from 1 to ${MAX_SIMILAR}` })
  @Min(1, { message: `n must be ≥ 1` })
  @Max(MAX_SIMILAR, { message: `n must be ≤ ${MAX_SIMILAR}` })
  n: number = DEFAULT_SIMILAR;
}

class SimilarDiamondDto {
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
