import {
  ArgumentMetadata,
  BadRequestException,
  Type,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { withoutNullProperties } from './request-nulls';
import { findInputProblem } from './input-guard';
import { requestScope } from './request-context';

interface FieldError {
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

/** Entries of one problem kept in `details` (the message gives the count of all). */
const ENTRIES_PER_PROBLEM = 5;
/** Fields of one problem named in the message. */
const FIELDS_NAMED = 3;

/**
 * The 400's message and details, bounded: the same problem on many array items (one unknown
 * field on each of 1,000 batch items) is said once, with its count and the first fields, and
 * keeps its first ENTRIES_PER_PROBLEM entries in `details`.
 */
export function summarizeFieldErrors(errors: FieldError[]): {
  message: string;
  details: FieldError[];
} {
  const problems = new Map<string, FieldError[]>();
  for (const e of errors) {
    const key = `${e.field.replace(/\.\d+(?=\.|$)/g, '.*')}\u0000${Object.values(e.rules).join('; ')}`;
    const list = problems.get(key);
    if (list) list.push(e);
    else problems.set(key, [e]);
  }
  const parts: string[] = [];
  const details: FieldError[] = [];
  for (const list of problems.values()) {
    const text = Object.values(list[0].rules).join('; ');
    parts.push(
      list.length === 1
        ? text
        : `${text} (${list.length} times: ${list
            .slice(0, FIELDS_NAMED)
            .map((e) => e.field)
            .join(', ')}${list.length > FIELDS_NAMED ? ', …' : ''})`,
    );
    details.push(...list.slice(0, ENTRIES_PER_PROBLEM));
  }
  return { message: parts.join('; '), details };
}

/**
 * A compiled check of one DTO (see prediction/hot-path-validation.ts): the DTO value when the
 * input certainly passes the DTO's rules, undefined when it may not (class-validator decides).
 */
export type FastPath = (value: unknown) => unknown;

/**
 * A DTO with a fast path tries it first; input it does not accept takes the class-validator
 * path, so every refusal keeps that path's 400 body. Before class-transformer sees anything, input
 * too deep or holding NUL bytes is refused. Here rather than in the HTTP adapter, so it holds for
 * bodies, queries and path parameters on any adapter.
 */
class GuardedValidationPipe extends ValidationPipe {
  constructor(
    options: ConstructorParameters<typeof ValidationPipe>[0],
    private readonly fastPaths: ReadonlyMap<Type<unknown>, FastPath>,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // One rule on every endpoint: a null property of a body is read as absent (common/request-nulls.ts).
    if (metadata.type === 'body') value = withoutNullProperties(value);
    // A fast path's schema is closed (no unknown keys, enum or patterned strings, a fixed depth):
    // what it accepts holds no NUL and is not deep, so only the rest goes through the guard.
    const fast = metadata.metatype && this.fastPaths.get(metadata.metatype);
    if (fast) {
      const dto = fast(value);
      if (dto !== undefined) {
        const ctx = metadata.type === 'body' ? requestScope.getStore() : undefined;
        if (ctx) ctx.bodyIsClean = true;
        return dto;
      }
    }
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

/**
 * The global pipe: strict DTOs, and a 400 whose details name each field and the rule it broke.
 * `fastPaths`: compiled checks tried first for their DTOs (the hot endpoints'; none by default).
 */
export function createValidationPipe(
  fastPaths: ReadonlyMap<Type<unknown>, FastPath> = new Map(),
): ValidationPipe {
  return new GuardedValidationPipe(
    {
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const { message, details } = summarizeFieldErrors(flatten(errors));
        return new BadRequestException({
          message: `Validation failed: ${message}`,
          code: 'VALIDATION_FAILED',
          details,
        });
      },
    },
    fastPaths,
  );
}
