import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { REQUEST_ID_HEADER } from '../common/request-id.middleware';
import { AuditRecordData, CLIENT_CLOSED_STATUS } from './audit-record';
import { redactDeep, redactJsonText, redactUrl, stripNul, truncateText } from './audit-redaction';
import { AuditWriter } from './audit-writer';

/**
 * Not API traffic: the API docs, probes, metrics scrapes, the dashboard's and the counter page's
 * static files and `/` (its redirect); the API calls the counter page makes are recorded as usual.
 * Everything else is recorded, unknown routes (404) included.
 */
const NOT_RECORDED = /^\/((docs|docs-json|health|metrics|dashboard|counter)(\/|$)|$)/;

/** What the Nest interceptor and the error filter leave in res.locals for the recorder. */
export interface AuditLocals {
  /** Route pattern, set by AuditInterceptor (the recorder falls back to Express's matched route). */
  auditRoute?: string;
  /** The real message of an exception a handler threw (the client gets a generic 500). */
  auditError?: string;
  /** Set by HttpExceptionFilter for every error response. */
  errorMessage?: string;
  /** Set by the prediction endpoints: the model that served the request. */
  model?: { family?: string; version?: number };
}

/**
 * Builds one audit record per HTTP request at the moment its response is finished, and hands it
 * to the writer (which appends it to the spool synchronously) *before* the last bytes are passed
 * to the socket. It is an Express middleware, installed right after the request-id middleware in
 * configureApp, because a NestJS interceptor never sees what Express or guards answer on their own:
 * malformed JSON (400) and too-large bodies (413) from the body parser, unknown routes (404),
 * 401 from the admin guard and 429 from the throttler. AuditInterceptor adds the Nest-level facts
 * (route pattern, the handler's real error) through res.locals.
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

  /** The Express middleware (a passthrough when AUDIT_ENABLED=false). */
  readonly handler: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    if (!this.config.AUDIT_ENABLED || NOT_RECORDED.test(req.path)) return next();
    const startedAt = new Date();
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    let captured = 0;
    let total = 0;
    let done = false;
    const capture = (chunk: unknown, encoding?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : Buffer.isBuffer(chunk)
            ? chunk
            : chunk instanceof Uint8Array
              ? Buffer.from(chunk)
              : null;
      if (!buf) return;
      total += buf.length;
      if (captured <= this.maxBody) {
        const part = buf.subarray(0, this.maxBody + 1 - captured);
        chunks.push(part);
        captured += part.length;
      }
    };
    const finish = (aborted: boolean): void => {
      if (done) return;
      done = true;
      try {
        this.writer.record(
          this.build(
            req,
            res,
            startedAt,
            started,
            aborted ? null : Buffer.concat(chunks),
            total,
            aborted,
          ),
        );
      } catch (err) {
        // Auditing never breaks a response.
        this.logger.error(
          `Could not record ${req.method} ${req.originalUrl}: ${(err as Error).message}`,
        );
      }
    };

    const write = res.write;
    const end = res.end;
    res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
      capture(chunk, rest[0]);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Response['write'];
    res.end = function (this: Response, ...args: unknown[]) {
      if (!done) {
        capture(args[0], args[1]);
        finish(false);
      }
      return (end as (...a: unknown[]) => Response).apply(this, args);
    } as Response['end'];
    // A client that leaves before any response still made a request.
    res.once('close', () => finish(!res.writableEnded));
    next();
  };

  private build(
    req: Request,
    res: Response,
    startedAt: Date,
    started: bigint,
    body: Buffer | null,
    totalBytes: number,
    aborted: boolean,
  ): AuditRecordData {
    const locals = res.locals as AuditLocals;
    const status = aborted ? CLIENT_CLOSED_STATUS : res.statusCode;
    const model = locals.model;
    const requestId = String(req.headers[REQUEST_ID_HEADER] ?? res.getHeader('x-request-id') ?? '');
    const route = locals.auditRoute ?? (req.route as { path?: unknown } | undefined)?.path;
    return withoutNul({
      id: randomUUID(),
      requestId: requestId.slice(0, 128),
      occurredAt: startedAt.toISOString(),
      method: req.method.slice(0, 10),
      route: typeof route === 'string' ? route.slice(0, 300) : null,
      url: redactUrl(req.originalUrl ?? req.url),
      query: this.query(req),
      requestBody: this.requestBody(req),
      status,
      responseBody: body
        ? this.responseBody(
            body,
            totalBytes,
            String(res.getHeader('content-type') ?? ''),
            res.getHeader('content-encoding'),
          )
        : null,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000,
      clientIp: (req.ip ?? req.socket?.remoteAddress ?? null)?.slice(0, 64) ?? null,
      userAgent:
        typeof req.headers['user-agent'] === 'string'
          ? req.headers['user-agent'].slice(0, 512)
          : null,
      modelFamily: typeof model?.family === 'string' ? model.family.slice(0, 64) : null,
      modelVersion:
        typeof model?.version === 'number' && Number.isInteger(model.version)
          ? model.version
          : null,
      errorMessage: status >= 400 ? this.errorMessage(locals, status, aborted) : null,
    });
  }

  /** What the client was told, except for a 5xx, where the handler's real error is worth more than "unexpected error". */
  private errorMessage(locals: AuditLocals, status: number, aborted: boolean): string | null {
    if (aborted) return 'Client closed the connection before the response';
    const message =
      status >= 500
        ? (locals.auditError ?? locals.errorMessage)
        : (locals.errorMessage ?? locals.auditError);
    return message ? truncateText(message, 4096) : null;
  }

  private query(req: Request): Record<string, unknown> | null {
    let query: unknown;
    try {
      query = req.query;
    } catch {
      return null;
    }
    if (!query || typeof query !== 'object' || Object.keys(query).length === 0) return null;
    return redactDeep(query) as Record<string, unknown>;
  }

  /** The parsed body (JSON or form), secrets redacted; a summary of uploaded files, never their bytes. */
  private requestBody(req: Request): string | null {
    const body = (req as { body?: unknown }).body;
    const withFiles = req as Request & {
      file?: FileLike;
      files?: FileLike[] | Record<string, FileLike[]>;
    };
    const files = withFiles.file
      ? [withFiles.file]
      : Array.isArray(withFiles.files)
        ? withFiles.files
        : withFiles.files
          ? Object.values(withFiles.files).flat()
          : [];
    const hasBody =
      body !== undefined &&
      body !== null &&
      !(typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0);
    if (!hasBody && files.length === 0) return null;
    let text: string;
    if (typeof body === 'string') text = body;
    else if (Buffer.isBuffer(body)) text = `[${body.length} bytes]`;
    else {
      const value = (hasBody ? redactDeep(body) : {}) as Record<string, unknown>;
      const out =
        files.length > 0 && !Array.isArray(value)
          ? {
              ...value,
              _files: files.map((f) => ({
                field: f.fieldname,
                name: f.originalname,
                size: f.size,
              })),
            }
          : value;
      text = JSON.stringify(out);
    }
    return truncateText(text, this.maxBody);
  }

  private responseBody(
    body: Buffer,
    totalBytes: number,
    contentType: string,
    encoding: unknown,
  ): string | null {
    if (totalBytes === 0) return null;
    // A compression middleware installed after this one hands us encoded bytes.
    if (encoding && encoding !== 'identity')
      return `[${contentType || 'body'}, ${String(encoding)}-encoded, ${totalBytes} bytes]`;
    if (contentType && !/json|text|xml|javascript|csv|x-www-form-urlencoded/i.test(contentType))
      return `[${contentType}, ${totalBytes} bytes]`;
    if (totalBytes > this.maxBody)
      return `${body.subarray(0, this.maxBody).toString('utf8')}…[truncated: ${totalBytes} bytes]`;
    const text = body.toString('utf8');
    return /json/i.test(contentType) ? redactJsonText(text) : text;
  }
}

/** Every text field without NUL characters (see stripNul); the query was cleaned by redactDeep. */
function withoutNul(record: AuditRecordData): AuditRecordData {
  const out = { ...record } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out))
    if (typeof value === 'string') out[key] = stripNul(value);
  return out as unknown as AuditRecordData;
}

interface FileLike {
  fieldname?: string;
  originalname?: string;
  size?: number;
}
