import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsIn, IsNumber, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { toQueryNumber } from '../common/query-number';
import {
  BoundedField,
  CLARITIES,
  COLORS,
  CUTS,
  describeBound,
  FIELD_BOUNDS,
} from '../diamonds/diamond-vocabulary';

const NUMBER = { allowNaN: false, allowInfinity: false } as const;

const WHAT: Record<BoundedField, string> = {
  carat: 'Weight',
  depth: 'Total depth percentage',
  table: 'Table width as a percentage of the diameter',
  x: 'Length',
  y: 'Width',
  z: 'Depth',
};

/**
 * A numeric diamond field checked against its one range in FIELD_BOUNDS (the CSV validator
 * uses the same ranges). Required fields answer "<field> is required"; `query` parses text.
 */
export function BoundedNumber(
  field: BoundedField,
  options: { required: boolean; example: number; query?: boolean; note?: string },
) {
  const bound = FIELD_BOUNDS[field];
  const rule = describeBound(field, bound);
  const range = `${bound.exclusiveMin ? '>' : '≥'} ${bound.min} and ≤ ${bound.max} ${bound.unit}`;
  const doc = {
    description: `${WHAT[field]}, ${range}.${options.note ? ` ${options.note}` : ''}`,
    example: options.example,
    minimum: bound.min,
    exclusiveMinimum: bound.exclusiveMin,
    maximum: bound.max,
    type: Number,
  };
  return applyDecorators(
    ...(options.required
      ? [ApiProperty(doc), IsDefined({ message: `${field} is required: a number ${range}` })]
      : [ApiPropertyOptional({ ...doc, nullable: true }), IsOptional()]),
    ...(options.query ? [Transform(toQueryNumber)] : []),
    IsNumber(NUMBER, { message: `${field} must be a number (${bound.unit})` }),
    // Out of range gives the same sentence as the CSV validator's.
    bound.exclusiveMin
      ? ValidateBy({
          name: 'exclusiveMin',
          validator: {
            validate: (v: unknown) => typeof v === 'number' && v > bound.min,
            defaultMessage: () => rule,
          },
        })
      : Min(bound.min, { message: rule }),
    Max(bound.max, { message: rule }),
  );
}

const GRADES = {
  cut: { values: CUTS, description: 'Cut quality, worst to best.', example: 'Ideal' },
  color: { values: COLORS, description: 'Colour grade, J (worst) to D (best).', example: 'G' },
  clarity: {
    values: CLARITIES,
    description: 'Clarity grade, I1 (worst) to IF (best).',
    example: 'VS1',
  },
} as const;

/** One of the three graded Cs (cut, color, clarity): required, one of the vocabulary's values. */
export function Grade(field: keyof typeof GRADES) {
  const { values, description, example } = GRADES[field];
  const list = values.join(', ');
  return applyDecorators(
    ApiProperty({ description, enum: values, example }),
    IsDefined({ message: `${field} is required: one of ${list}` }),
    IsIn(values, { message: `${field} must be one of: ${list}` }),
  );
}
