import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { isStorableDate } from '../common/query-number';
import {
  AuditRecordDto,
  AuditRecordPageDto,
  AuditRecordQueryDto,
  toAuditRecordDto,
} from './audit.dto';
import { AuditCursor, AuditRepository } from './audit.repository';

const DEFAULT_LIMIT = 50;

/** Reads the audit trail back: filtered pages, newest first, and single records. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly repository: AuditRepository) {}

  async list(query: AuditRecordQueryDto): Promise<AuditRecordPageDto> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const { route, status, from, to, requestId, modelFamily, modelVersion } = query;
    // One row more than asked tells whether a next page exists.
    const rows = await this.repository.list(
      { route, status, from, to, requestId, modelFamily, modelVersion },
      limit + 1,
      after,
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toAuditRecordDto),
      nextCursor:
        rows.length > limit && last
          ? encodeCursor({ occurredAt: new Date(last.occurredAt), id: last.id })
          : null,
    };
  }

  async get(id: string): Promise<AuditRecordDto> {
    const record = await this.repository.findById(id);
    if (!record) throw new DomainError(ErrorCode.NotFound, `No audit record ${id}`);
    return toAuditRecordDto(record);
  }
}

function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

function decodeCursor(text: string): AuditCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    const occurredAt = new Date(String(at));
    // The id is a UUID; a date or id the database cannot hold would come back as a 500.
    if (
      typeof at === 'string' &&
      typeof id === 'string' &&
      /^[0-9a-f-]{1,64}$/i.test(id) &&
      isStorableDate(occurredAt)
    )
      return { occurredAt, id };
  } catch {
    // falls through to the error below
  }
  throw new DomainError(
    ErrorCode.ValidationFailed,
    'cursor must be a nextCursor returned by this endpoint',
    [
      {
        field: 'cursor',
        rules: { isCursor: 'cursor must be a nextCursor returned by this endpoint' },
      },
    ],
  );
}
