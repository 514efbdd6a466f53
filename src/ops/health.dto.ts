import { ApiProperty } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** One check of a health answer: its status and what the check adds (its numbers, the model). */
const CHECKS: { type: 'object'; additionalProperties: SchemaObject } = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};

/** A health answer when every check is up (Terminus's shape). */
export class HealthResultDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
  @ApiProperty({ ...CHECKS, description: 'The checks that are up' })
  info: Record<string, unknown>;
  @ApiProperty({ ...CHECKS, description: 'The checks that are down (empty on a 200)' })
  error: Record<string, unknown>;
  @ApiProperty({
    ...CHECKS,
    example: {
      database: { status: 'up' },
      champion: { status: 'up', family: 'xgboost', version: 3 },
    },
    description: 'Every check',
  })
  details: Record<string, unknown>;
}
