import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { DomainError, ERROR_STATUS } from './domain-error';
import { ErrorBody } from './error-body';
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

/** The model families' own error codes (src/training/families/model-family.ts). */
const FAMILY_ERROR_STATUS: Record<string, number> = {
  MISSING_FEATURE: 400,
  INVALID_FEATURE: 400,
  UNKNOWN_MODEL_FAMILY: 404,
  INSUFFICIENT_TRAINING_DATA: 422,
};

/** Maps every error to the API's one error shape; anything unexpected is logged and becomes a generic 500. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const body = this.toBody(exception);
    body.requestId = (req.headers[REQUEST_ID_HEADER] as string | undefined) ?? undefined;
    if (body.statusCode >= 500 && !(exception instanceof DomainError)) {
      const err = exception as Error;
      this.logger.error(`${req.method} ${req.originalUrl} failed: ${err?.message}`, err?.stack);
    }
    if (exception instanceof HttpException) {
      const retryAfter = exception.getResponse() as { retryAfter?: number };
      if (retryAfter && typeof retryAfter === 'object' && retryAfter.retryAfter)
        res.setHeader('Retry-After', String(retryAfter.retryAfter));
    }
    res.locals.errorMessage = body.message;
    res.status(body.statusCode).json(body);
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
    const familyStatus = FAMILY_ERROR_STATUS[(exception as { code?: string })?.code ?? ''];
    if (familyStatus && exception instanceof Error) {
      const e = exception as Error & {
        code: string;
        feature?: string;
        family?: string;
        known?: string[];
      };
      return {
        statusCode: familyStatus,
        error: STATUS_CODES[familyStatus] ?? 'Error',
        code: e.code,
        message: e.message,
        details: e.feature
          ? { feature: e.feature, family: e.family }
          : e.known
            ? { allowed: e.known }
            : undefined,
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
