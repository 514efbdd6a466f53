import Ajv, { type ValidateFunction } from 'ajv';
import type { Type } from '@nestjs/common';
import { MAX_INT32 } from '../common/parse-id.pipe';
import { toQueryInteger, toQueryNumber } from '../common/query-number';
import type { FastPath } from '../common/validation.pipe';
import {
  BoundedField,
  CLARITIES,
  COLORS,
  CUTS,
  FIELD_BOUNDS,
} from '../diamonds/diamond-vocabulary';
import { MAX_RANGE_LEVEL, MIN_RANGE_LEVEL } from '../model-runtime/evaluation/price-range';
import {
  BatchPriceRequestDto,
  DEFAULT_SIMILAR,
  FAMILY_NAME,
  MAX_BATCH_ITEMS,
  MAX_SIMILAR,
  PriceRequestDto,
  SimilarDiamondsQueryDto,
} from './prediction.dto';

/**
 * Compiled JSON-schema checks (ajv) for the hot endpoints' DTOs, built from the same declarations
 * the class-validator decorators read (FIELD_BOUNDS, the grades, MAX_BATCH_ITEMS, the range
 * level, the family name pattern, MAX_INT32). They only ever accept: input they pass becomes the
 * DTO value without class-transformer or class-validator; anything else goes to the
 * class-validator path, which refuses it with its usual 400 (or accepts it, if the schema is
 * stricter somewhere). So the schemas may be stricter than the DTOs, never looser:
 * hot-path-validation.spec.ts checks both paths agree on generated input.
 */

// Optional DTO fields (@IsOptional) take null as absent, like class-validator does.
const nullable = (type: string) => [type, 'null'];

function boundedNumber(field: BoundedField, optional: boolean): Record<string, unknown> {
  const b = FIELD_BOUNDS[field];
  return {
    type: optional ? nullable('number') : 'number',
    [b.exclusiveMin ? 'exclusiveMinimum' : 'minimum']: b.min,
    maximum: b.max,
  };
}

const GRADES = {
  cut: { enum: [...CUTS] },
  color: { enum: [...COLORS] },
  clarity: { enum: [...CLARITIES] },
};

const FEATURE_PROPERTIES = {
  carat: boundedNumber('carat', false),
  ...GRADES,
  depth: boundedNumber('depth', true),
  table: boundedNumber('table', true),
  x: boundedNumber('x', true),
  y: boundedNumber('y', true),
  z: boundedNumber('z', true),
};
const FEATURES_REQUIRED = ['carat', 'cut', 'color', 'clarity'];

const MODEL_SELECTOR = {
  type: nullable('object'),
  additionalProperties: false,
  required: ['family'],
  properties: {
    family: { type: 'string', pattern: FAMILY_NAME.source },
    version: { type: nullable('integer'), minimum: 1, maximum: MAX_INT32 },
  },
};
const LEVEL = { type: nullable('number'), minimum: MIN_RANGE_LEVEL, maximum: MAX_RANGE_LEVEL };
const EXPLAIN = { type: nullable('boolean') };

/** The schemas, by DTO (exported for the spec, which compares their fields with the DTOs'). */
export const HOT_PATH_SCHEMAS = {
  price: {
    type: 'object',
    additionalProperties: false,
    required: FEATURES_REQUIRED,
    properties: { ...FEATURE_PROPERTIES, model: MODEL_SELECTOR, level: LEVEL, explain: EXPLAIN },
  },
  batch: {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_BATCH_ITEMS,
        items: {
          type: 'object',
          additionalProperties: false,
          required: FEATURES_REQUIRED,
          properties: FEATURE_PROPERTIES,
        },
      },
      model: MODEL_SELECTOR,
      level: LEVEL,
      explain: EXPLAIN,
    },
  },
  similar: {
    type: 'object',
    additionalProperties: false,
    required: ['cut', 'color', 'clarity', 'carat'],
    properties: {
      ...GRADES,
      carat: boundedNumber('carat', false),
      n: { type: nullable('integer'), minimum: 1, maximum: MAX_SIMILAR },
    },
  },
} as const;

/** The query fields a query-string converter applies to (as the DTO's @Transform does). */
const SIMILAR_QUERY_CONVERSIONS: Record<string, (arg: { value: unknown }) => unknown> = {
  carat: toQueryNumber,
  n: toQueryInteger,
};

function bodyPath(check: ValidateFunction): FastPath {
  // A JSON body that passes is already the DTO's plain value (no unknown field, nothing to convert).
  return (value) => (check(value) ? value : undefined);
}

function similarQueryPath(check: ValidateFunction): FastPath {
  return (value) => {
    if (value === null || typeof value !== 'object') return undefined;
    // What class-transformer builds: the DTO's default `n`, then each sent field, converted.
    const query: Record<string, unknown> = { n: DEFAULT_SIMILAR };
    for (const [key, raw] of Object.entries(value)) {
      const convert = SIMILAR_QUERY_CONVERSIONS[key];
      query[key] = convert ? convert({ value: raw }) : raw;
    }
    return check(query) ? query : undefined;
  };
}

/** The fast paths the global validation pipe tries first, by DTO class. */
export function hotPathValidators(): ReadonlyMap<Type<unknown>, FastPath> {
  // No coercion, no defaults, no removal: a check only, so accepted input is left as sent.
  const ajv = new Ajv({ allowUnionTypes: true, strictNumbers: true, allErrors: false });
  return new Map<Type<unknown>, FastPath>([
    [PriceRequestDto, bodyPath(ajv.compile(HOT_PATH_SCHEMAS.price))],
    [BatchPriceRequestDto, bodyPath(ajv.compile(HOT_PATH_SCHEMAS.batch))],
    [SimilarDiamondsQueryDto, similarQueryPath(ajv.compile(HOT_PATH_SCHEMAS.similar))],
  ]);
}
