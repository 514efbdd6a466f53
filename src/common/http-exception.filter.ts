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
import { DomainError, ERROR_STATUS } from './domain-error';
import { ErrorBody } from './error-body';
import { rawRequest, requestContextOf } from './request-context';
import { REQUEST_ID_HEADER } from './request-id.middleware';

function bodyParserMessage(error: unknown): string | undefined {
  const e = error as { type?: string; message?: string; limit?: number } | undefined;
  if (e?.type === 'entity.parse.failed') return `Malformed JSON body: ${e.message}`;
  if (e?.type === 'entity.too.large')
    return `Request body too large: the limit is ${e.limit} bytes`;
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return `Unsupported body encoding: ${e.message}`;
  return undefined;
}

/**
 * Maps every error to the API's one error shape; anything unexpected is logged and becomes a
 * generic 500. Replies through the HTTP adapter, so it is the same on Express and Fastify, and
 * leaves what the client was told in the request's context for the audit trail and the access log.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

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
    if (ctx) ctx.errorMessage = body.message;
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
      // Body-parser errors arrive wrapped by the Express adapter; say what went wrong in plain words.
      const parserError = bodyParserMessage(exception.cause);
      if (parserError)
        return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message: parserError };
      const response = exception.getResponse();
      const error = STATUS_CODES[statusCode] ?? 'Error';
      if (typeof response === 'string') return { statusCode, error, message: response };
      const r = response as { message?: unknown; details?: unknown; code?: string };
      const message = Array.isArray(r.message)
        ? r.message.join('; ')
        : String(r.message ?? exception.message);
      return {
        statusCode,
        error,
        message,
        code: r.code,
        details: r.details ?? (Array.isArray(r.message) ? r.message : undefined),
      };
    }
    // body-parser errors that reach the filter unwrapped carry a status and an expose flag.
    const e = exception as {
      status?: number;
      statusCode?: number;
      expose?: boolean;
      message?: string;
    };
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && e.expose) {
      return {
        statusCode: status,
        error: STATUS_CODES[status] ?? 'Error',
        message: bodyParserMessage(exception) ?? String(e.message),
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'An unexpected error occurred',
    };
  }
}
