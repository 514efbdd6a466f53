import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorBody } from './error-body';

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
