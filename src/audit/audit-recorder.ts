import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { requestContextOf } from '../common/request-context';
import { REQUEST_ID_HEADER } from '../common/request-id';
import { AuditRecordData } from './audit-record';
import { buildAuditRecord } from './audit-record.builder';
import { AuditWriter } from './audit-writer';

/**
 * Captures what each HTTP request's response sends and, at the moment it is finished, builds its
 * audit record (buildAuditRecord, a pure function of what was seen) and hands it to the writer (which appends it to the spool synchronously) *before* the last bytes are passed
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
        const context = requestContextOf(req);
        if (!context?.notAudited)
          record = buildAuditRecord(
            {
              id: randomUUID(),
              startedAt,
              durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000,
              method: req.method,
              url: req.url ?? '/',
              requestIdHeader: headerText(req.headers[REQUEST_ID_HEADER]),
              userAgent: headerText(req.headers['user-agent']),
              context,
              status: res.statusCode,
              aborted,
              response: aborted
                ? null
                : {
                    chunks,
                    totalBytes: total,
                    contentType: String(res.getHeader('content-type') ?? ''),
                    contentEncoding: res.getHeader('content-encoding'),
                  },
            },
            maxBody,
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
}

const headerText = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;
