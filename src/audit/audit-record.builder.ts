import { parse as parseQuery } from 'node:querystring';
import { CLIENT_CLOSED_STATUS, RequestContext } from '../common/request-context';
import type { AuditRecordData } from './audit-record';
import {
  isPlainQuery,
  redactDeep,
  redactJsonText,
  redactUrl,
  stripNul,
  truncateText,
} from './audit-redaction';

/** Everything the recorder saw of one request and its response, read off node's objects. */
export interface AuditFacts {
  /** The record's id, made before the spool append (a replay inserts the same row again). */
  id: string;
  startedAt: Date;
  durationMs: number;
  method: string | undefined;
  /** Path and query as sent. */
  url: string;
  /** The X-Request-Id header as it stands once the edge has set it. */
  requestIdHeader: string | undefined;
  userAgent: string | undefined;
  /** The request's RequestContext (route, model, errors, body, client address). */
  context: RequestContext | undefined;
  /** The status the response was sent with (ignored when aborted). */
  status: number;
  /** The client left before the response was complete. */
  aborted: boolean;
  /** What the response sent (up to maxBody + 1 bytes: strings as they are, other chunks as bytes); null when aborted. */
  response: {
    chunks: (Buffer | string)[];
    totalBytes: number;
    contentType: string;
    contentEncoding: unknown;
  } | null;
}

/**
 * The audit record of one request: status, route, model, error, request and response bodies,
 * with secrets redacted, bodies and fields cut to their columns' sizes, and no character the
 * database refuses. A pure function of what the recorder saw.
 */
export function buildAuditRecord(facts: AuditFacts, maxBody: number): AuditRecordData {
  const ctx = facts.context;
  const status = facts.aborted ? CLIENT_CLOSED_STATUS : facts.status;
  const model = ctx?.model;
  const requestId = ctx?.requestId ?? facts.requestIdHeader ?? '';
  const route = ctx?.route;
  return withoutNul({
    id: facts.id,
    requestId: requestId.slice(0, 128),
    occurredAt: facts.startedAt.toISOString(),
    method: (facts.method ?? 'GET').slice(0, 10),
    route: typeof route === 'string' ? route.slice(0, 300) : null,
    url: redactUrl(facts.url),
    query: queryOf(facts.url),
    requestBody: requestBodyOf(ctx?.body, ctx?.bodyIsClean === true, maxBody),
    status,
    responseBody: facts.response && !facts.aborted ? responseBodyOf(facts.response, maxBody) : null,
    durationMs: facts.durationMs,
    clientIp: ctx?.clientIp?.slice(0, 64) ?? null,
    userAgent: typeof facts.userAgent === 'string' ? facts.userAgent.slice(0, 512) : null,
    modelFamily: typeof model?.family === 'string' ? model.family.slice(0, 64) : null,
    modelVersion:
      typeof model?.version === 'number' && Number.isInteger(model.version) ? model.version : null,
    errorMessage: status >= 400 ? errorMessageOf(ctx, status, facts.aborted) : null,
  });
}

/** What the client was told, except for a 5xx, where the handler's real error is worth more than "unexpected error". */
function errorMessageOf(
  ctx: RequestContext | undefined,
  status: number,
  aborted: boolean,
): string | null {
  if (aborted) return 'Client closed the connection before the response';
  const message =
    status >= 500
      ? (ctx?.handlerError ?? ctx?.errorMessage)
      : (ctx?.errorMessage ?? ctx?.handlerError);
  return message ? truncateText(message, 4096) : null;
}

/** The query string as node's querystring parser reads it, secrets redacted. */
function queryOf(url: string): Record<string, unknown> | null {
  const at = url.indexOf('?');
  if (at < 0) return null;
  const raw = url.slice(at + 1);
  const query = parseQuery(raw);
  if (Object.keys(query).length === 0) return null;
  // No escape and no secret word: nothing to redact, no NUL to clean.
  if (isPlainQuery(raw)) return { ...query };
  return redactDeep({ ...query }) as Record<string, unknown>;
}

/**
 * The parsed body (JSON), secrets redacted; a raw upload is streamed, never held, so never
 * recorded. A body the validation pipe found clean (`bodyIsClean`) has nothing to redact.
 */
function requestBodyOf(body: unknown, clean: boolean, maxBody: number): string | null {
  if (
    body === undefined ||
    body === null ||
    (typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0)
  )
    return null;
  let text: string;
  if (typeof body === 'string') text = body;
  else if (Buffer.isBuffer(body)) text = `[${body.length} bytes]`;
  else if (typeof (body as { pipe?: unknown }).pipe === 'function') return null;
  else text = JSON.stringify(clean ? body : redactDeep(body));
  return truncateText(text, maxBody);
}

function responseBodyOf(
  { chunks, totalBytes, contentType, contentEncoding }: NonNullable<AuditFacts['response']>,
  maxBody: number,
): string | null {
  if (totalBytes === 0) return null;
  // The usual answer: one well-formed string (what its UTF-8 bytes would decode to), not truncated.
  if (
    chunks.length === 1 &&
    typeof chunks[0] === 'string' &&
    totalBytes <= maxBody &&
    (!contentEncoding || contentEncoding === 'identity') &&
    isWellFormed(chunks[0])
  ) {
    if (/json/i.test(contentType)) return redactJsonText(chunks[0]);
    if (!contentType || TEXTUAL.test(contentType)) return chunks[0];
  }
  const body = Buffer.concat(
    chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)),
  );
  // A compression hook installed after the recorder hands it encoded bytes.
  if (contentEncoding && contentEncoding !== 'identity')
    return `[${contentType || 'body'}, ${String(contentEncoding)}-encoded, ${totalBytes} bytes]`;
  if (contentType && !TEXTUAL.test(contentType)) return `[${contentType}, ${totalBytes} bytes]`;
  if (totalBytes > maxBody)
    return `${body.subarray(0, maxBody).toString('utf8')}…[truncated: ${totalBytes} bytes]`;
  const text = body.toString('utf8');
  return /json/i.test(contentType) ? redactJsonText(text) : text;
}

/** Content types whose bodies are recorded as text. */
const TEXTUAL = /json|text|xml|javascript|csv|x-www-form-urlencoded/i;

/** A string without lone surrogates: its UTF-8 bytes decode back to the same string. */
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Lone surrogates replaced by U+FFFD, as encoding the text to UTF-8 (the database driver) does. */
const toWellFormed = (text: string): string =>
  (text as unknown as { toWellFormed(): string }).toWellFormed();

/** The record's text fields (the query was cleaned by redactDeep). */
const TEXT_FIELDS = [
  'id',
  'requestId',
  'occurredAt',
  'method',
  'route',
  'url',
  'requestBody',
  'responseBody',
  'clientIp',
  'userAgent',
  'modelFamily',
  'errorMessage',
] as const;

/**
 * Every text field without NUL characters (see stripNul), and without lone surrogates: the
 * text the database would have stored, already in the record, so its spool line (the JSON the
 * writer sends PostgreSQL) never carries an escape PostgreSQL refuses.
 */
function withoutNul(record: AuditRecordData): AuditRecordData {
  const out = record as unknown as Record<string, unknown>;
  for (const key of TEXT_FIELDS) {
    let value = record[key];
    if (typeof value !== 'string') continue;
    if (value.includes('\u0000')) value = stripNul(value);
    if (!isWellFormed(value)) value = toWellFormed(value);
    out[key] = value;
  }
  return record;
}
