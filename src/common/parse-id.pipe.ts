import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { DomainError, ErrorCode } from './domain-error';

/** Largest value of the database's integer columns (ids, versions). */
export const MAX_INT32 = 2_147_483_647;

/**
 * A path id or version: decimal digits fitting the database's int32 columns. Anything else is a
 * 400 naming the parameter (a larger number used to reach the database and come back as a 500).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const name = metadata.data ?? 'id';
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
    const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= MAX_INT32)) {
      const rule = `${name} must be an integer from 1 to ${MAX_INT32}`;
      throw new DomainError(ErrorCode.ValidationFailed, `Validation failed: ${rule}`, [
        { field: name, rules: { isId: rule } },
      ]);
    }
    return n;
  }
}
