import {
  ArgumentMetadata,
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { findInputProblem } from './input-guard';

export interface FieldError {
  field: string;
  rules: Record<string, string>;
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, rules: e.constraints }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Refuses input too deep or holding NUL bytes before class-transformer sees it. Here rather than
 * in the HTTP adapter, so it holds for bodies, queries and path parameters on any adapter.
 */
class GuardedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const problem = findInputProblem(
        value,
        metadata.type === 'param' ? (metadata.data ?? '') : '',
      );
      if (problem)
        throw new BadRequestException({
          message: `Validation failed: ${problem.message}`,
          code: 'VALIDATION_FAILED',
          details: [{ field: problem.field, rules: { [problem.rule]: problem.message } }],
        });
    }
    return super.transform(value, metadata);
  }
}

/** The global pipe: strict DTOs, and a 400 whose details name each field and the rule it broke. */
export function createValidationPipe(): ValidationPipe {
  return new GuardedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.map((d) => Object.values(d.rules).join('; ')).join('; ');
      return new BadRequestException({
        message: `Validation failed: ${message}`,
        code: 'VALIDATION_FAILED',
        details,
      });
    },
  });
}
