import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { codeForStatus, DomainError, ERROR_STATUS, ErrorCode, ErrorDetail } from './domain-error';
import { ErrorBody } from './error-body';
import { rawRequest, requestContextOf } from './request-context';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * What Fastify's body parsing refused, in plain words: its FST_ERR_CTP_* errors, and the JSON
 * parser's SyntaxError (which it marks with statusCode 400).
 */
function bodyParserMessage(error: unknown, bodyLimit?: number): string | undefined {
  const e = error as { code?: string; message?: string; statusCode?: number } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return bodyLimit
      ? `Request body too large: the limit is ${bodyLimit} bytes`
      : 'Request body too large';
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'Malformed JSON body: the body is empty';
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    const cause = (error as { cause?: { message?: unknown } }).cause?.message;
    return `Malformed JSON body: ${typeof cause === 'string' ? cause : 'not valid JSON'}`;
  }
  if (error instanceof SyntaxError && e.statusCode === 400)
    return `Malformed JSON body: ${e.message}`;
  if (typeof e.code === 'string' && e.code.startsWith('FST_ERR_CTP_')) return e.message;
  return undefined;
}

/**
 * Maps every error to the API's one error shape; anything unexpected is logged and becomes a
 * generic 500. Replies through the HTTP adapter (HttpAdapterHost), as Nest's own catch-all filter
 * does, and leaves what the client was told in the request's context for the audit trail and the
 * access log.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    /** BODY_LIMIT in bytes, named in the 413 of a JSON body over it. */
    private readonly bodyLimit?: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const http = host.switchToHttp();
    const res = http.getResponse<object>();
    const req = rawRequest(http.getRequest<object>());
    const body = this.toBody(exception);
    body.requestId = (req.headers[REQUEST_ID_HEADER] as string | undefined) ?? undefined;
    if (body.statusCode >= 500 && !(exception instanceof DomainError)) {
      const err = exception as Error;
      this.logger.error(`${req.method} ${req.url} failed: ${err?.message}`, err?.stack);
    }
    if (exception instanceof HttpException) {
      const retryAfter = exception.getResponse() as { retryAfter?: number };
      if (retryAfter && typeof retryAfter === 'object' && retryAfter.retryAfter)
        httpAdapter.setHeader(res, 'Retry-After', String(retryAfter.retryAfter));
    }
    const ctx = requestContextOf(req);
    if (ctx) {
      ctx.errorMessage = body.message;
      // The real message of what failed: the audit record of a 500 keeps it, the client gets a generic one.
      ctx.handlerError = exception instanceof Error ? exception.message : String(exception);
    }
    httpAdapter.reply(res, body, body.statusCode);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = ERROR_STATUS[exception.code];
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        code: exception.code,
        message: exception.message,
        details: exception.details,
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      // Body-parser errors arrive wrapped by the adapter; say what went wrong in plain words.
      const parserError = bodyParserMessage(exception.cause, this.bodyLimit);
      if (parserError)
        return {
          statusCode,
          error: STATUS_CODES[statusCode] ?? 'Error',
          code: codeForStatus(statusCode),
          message: parserError,
        };
      const response = exception.getResponse();
      const error = STATUS_CODES[statusCode] ?? 'Error';
      if (typeof response === 'string')
        return { statusCode, error, code: codeForStatus(statusCode), message: response };
      const r = response as { message?: unknown; details?: ErrorDetail[]; code?: string };
      const message = Array.isArray(r.message)
        ? r.message.join('; ')
        : String(r.message ?? exception.message);
      return {
        statusCode,
        error,
        message,
        code: r.code ?? codeForStatus(statusCode),
        details: r.details,
      };
    }
    // Parser errors that reach the filter unwrapped (the JSON parser's SyntaxError) carry their status.
    const status = (exception as { statusCode?: unknown } | undefined)?.statusCode;
    const parserError = bodyParserMessage(exception, this.bodyLimit);
    if (parserError && typeof status === 'number' && status >= 400 && status < 500)
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        code: codeForStatus(status),
        message: parserError,
      };
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      code: ErrorCode.InternalError,
      message: 'An unexpected error occurred',
    };
  }
}
