import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorDetail } from './domain-error';
import type { ErrorBody } from './error-body';

/** One entry of `details`: the same type on every error status. */
export class ErrorDetailDto implements ErrorDetail {
  @ApiProperty({
    example: 'cut',
    description:
      'What the entry is about: a request field as a path (`items.3.carat`, `model.version`), a query or path parameter, or a fact of the answer (`runningRunId`)',
  })
  field: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { isIn: 'cut must be one of: Fair, Good, Very Good, Premium, Ideal' },
    description: 'Each rule it broke, with its message',
  })
  rules: Record<string, string>;

  @ApiPropertyOptional({
    oneOf: [{ type: 'number' }, { type: 'string' }],
    example: 12,
    description: 'A value to act on, when there is one (the running run id of a 409)',
  })
  value?: number | string;
}

/** The one error shape of the API (documented here for OpenAPI; `HttpExceptionFilter` builds it as `ErrorBody`). */
export class ErrorResponseDto implements ErrorBody {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    example: 'Validation failed: cut must be one of: Fair, Good, Very Good, Premium, Ideal',
  })
  message: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    description:
      'Stable machine-readable code (VALIDATION_FAILED, MISSING_FEATURE, UNAUTHORIZED, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, FILE_REFUSED, TOO_MANY_REQUESTS, MODEL_UNAVAILABLE, ADMIN_DISABLED, ARTIFACT_CORRUPT, INTERNAL_ERROR).',
  })
  code: string;

  @ApiPropertyOptional({
    type: [ErrorDetailDto],
    description:
      'What the error is about, one entry per field or fact: for validation errors each field and the rule it broke.',
  })
  details?: ErrorDetailDto[];

  @ApiProperty({ example: '7b0c2a8e-5f7c-4c39-9f0e-3a6f1c2d9b11' })
  requestId: string;
}
