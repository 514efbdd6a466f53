import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { AppConfig } from '../config/app-config';
import { CLIENT_CLOSED_STATUS, RequestContext, requestContextOf } from '../common/request-context';
import { REQUEST_ID_HEADER } from '../common/request-id';
import { AuditRecordData } from './audit-record';
import {
  isPlainQuery,
  redactDeep,
  redactJsonText,
  redactUrl,
  stripNul,
  truncateText,
} from './audit-redaction';
import { AuditWriter } from './audit-writer';

/**
 * Builds one audit record per HTTP request at the moment its response is finished, and hands it
 * to the writer (which appends it to the spool synchronously) *before* the last bytes are passed
 * to the socket. It hooks the node response right after the request id is given (configureApp),
 * because a NestJS interceptor never sees what the adapter or guards answer on their own:
 * malformed JSON (400) and too-large bodies (413) from the body parser, unknown routes (404),
 * 401 from the admin guard and 429 from the throttler. The facts only Nest knows (route pattern,
 * the model, the handler's real error, whether the route is infrastructure and not audited) come
 * from the request's RequestContext. Nothing here may throw out of a response event.
 */
@Injectable()
export class AuditRecorder {
  private readonly logger = new Logger(AuditRecorder.name);
  private readonly maxBody: number;

  constructor(
    private readonly config: AppConfig,
    private readonly writer: AuditWriter,
  ) {
    this.maxBody = config.AUDIT_BODY_MAX_BYTES;
  }

  /** The hook (a passthrough when AUDIT_ENABLED=false), on node's request and response. */
  readonly handler = (
    req: IncomingMessage,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ): void => {
    if (!this.config.AUDIT_ENABLED) return next();
    const startedAt = new Date();
    const started = process.hrtime.bigint();
    // What the response sent, up to maxBody + 1 bytes: strings as they are (the usual JSON
    // answer is one string), other chunks as bytes.
    const chunks: (Buffer | string)[] = [];
    let captured = 0;
    let total = 0;
    let done = false;
    const maxBody = this.maxBody;
    const capture = (chunk: unknown, encoding?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      if (
        typeof chunk === 'string' &&
        (typeof encoding !== 'string' || encoding === 'utf8' || encoding === 'utf-8')
      ) {
        const bytes = Buffer.byteLength(chunk);
        total += bytes;
        if (captured > maxBody) return;
        if (captured + bytes <= maxBody + 1) {
          chunks.push(chunk);
          captured += bytes;
          return;
        }
        const part = Buffer.from(chunk).subarray(0, maxBody + 1 - captured);
        chunks.push(part);
        captured += part.length;
        return;
      }
      const buf =
        typeof chunk === 'string'
          ? Buffer.from(chunk, encoding as BufferEncoding)
          : Buffer.isBuffer(chunk)
            ? chunk
            : chunk instanceof Uint8Array
              ? Buffer.from(chunk)
              : null;
      if (!buf) return;
      total += buf.length;
      if (captured <= maxBody) {
        const part = buf.subarray(0, maxBody + 1 - captured);
        chunks.push(part);
        captured += part.length;
      }
    };
    /** Builds the record; `send` (the response's real end) runs once it is spooled, or now when there is none. */
    const finish = (aborted: boolean, send?: () => void): void => {
      if (done) return;
      done = true;
      let record: AuditRecordData | undefined;
      try {
        if (!requestContextOf(req)?.notAudited)
          record = this.build(
            req,
            res,
            startedAt,
            started,
            aborted ? null : chunks,
            total,
            aborted,
          );
      } catch (err) {
        // Auditing never breaks a response.
        this.logger.error(`Could not record ${req.method} ${req.url}: ${(err as Error).message}`);
      }
      if (!record) return send?.();
      if (send) return this.writer.recordThen(record, send);
      try {
        this.writer.record(record);
      } catch (err) {
        this.logger.error(`Could not record ${req.method} ${req.url}: ${(err as Error).message}`);
      }
    };

    const write = res.write;
    const end = res.end;
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (!done) {
        capture(args[0], args[1]);
        // The response leaves once its record is in the spool, written together with the
        // other records of this event-loop turn (AuditWriter.recordThen).
        finish(false, () => (end as (...a: unknown[]) => ServerResponse).apply(this, args));
        return this;
      }
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    // A client that leaves before any response still made a request.
    res.on('close', () => finish(!res.writableEnded));
    next();
  };

  private build(
    req: IncomingMessage,
    res: ServerResponse,
    startedAt: Date,
    started: bigint,
    chunks: (Buffer | string)[] | null,
    totalBytes: number,
    aborted: boolean,
  ): AuditRecordData {
    const ctx = requestContextOf(req);
    const status = aborted ? CLIENT_CLOSED_STATUS : res.statusCode;
    const model = ctx?.model;
    const requestId = ctx?.requestId ?? String(req.headers[REQUEST_ID_HEADER] ?? '');
    const route = ctx?.route;
    const url = req.url ?? '/';
    return withoutNul({
      id: randomUUID(),
      requestId: requestId.slice(0, 128),
      occurredAt: startedAt.toISOString(),
      method: (req.method ?? 'GET').slice(0, 10),
      route: typeof route === 'string' ? route.slice(0, 300) : null,
      url: redactUrl(url),
      query: this.query(url),
      requestBody: this.requestBody(ctx?.body, ctx?.bodyIsClean === true),
      status,
      responseBody: chunks
        ? this.responseBody(
            chunks,
            totalBytes,
            String(res.getHeader('content-type') ?? ''),
            res.getHeader('content-encoding'),
          )
        : null,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000,
      clientIp: ctx?.clientIp?.slice(0, 64) ?? null,
      userAgent:
        typeof req.headers['user-agent'] === 'string'
          ? req.headers['user-agent'].slice(0, 512)
          : null,
      modelFamily: typeof model?.family === 'string' ? model.family.slice(0, 64) : null,
      modelVersion:
        typeof model?.version === 'number' && Number.isInteger(model.version)
          ? model.version
          : null,
      errorMessage: status >= 400 ? this.errorMessage(ctx, status, aborted) : null,
    });
  }

  /** What the client was told, except for a 5xx, where the handler's real error is worth more than "unexpected error". */
  private errorMessage(
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
  private query(url: string): Record<string, unknown> | null {
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
  private requestBody(body: unknown, clean: boolean): string | null {
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
    return truncateText(text, this.maxBody);
  }

  private responseBody(
    chunks: (Buffer | string)[],
    totalBytes: number,
    contentType: string,
    encoding: unknown,
  ): string | null {
    if (totalBytes === 0) return null;
    // The usual answer: one well-formed string (what its UTF-8 bytes would decode to), not truncated.
    if (
      chunks.length === 1 &&
      typeof chunks[0] === 'string' &&
      totalBytes <= this.maxBody &&
      (!encoding || encoding === 'identity') &&
      isWellFormed(chunks[0])
    ) {
      if (/json/i.test(contentType)) return redactJsonText(chunks[0]);
      if (!contentType || TEXTUAL.test(contentType)) return chunks[0];
    }
    const body = Buffer.concat(
      chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)),
    );
    // A compression hook installed after this one hands us encoded bytes.
    if (encoding && encoding !== 'identity')
      return `[${contentType || 'body'}, ${String(encoding)}-encoded, ${totalBytes} bytes]`;
    if (contentType && !TEXTUAL.test(contentType)) return `[${contentType}, ${totalBytes} bytes]`;
    if (totalBytes > this.maxBody)
      return `${body.subarray(0, this.maxBody).toString('utf8')}…[truncated: ${totalBytes} bytes]`;
    const text = body.toString('utf8');
    return /json/i.test(contentType) ? redactJsonText(text) : text;
  }
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
