import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';
import type { AuditLocals } from './audit-recorder';

/**
 * The Nest side of the audit trail: for every request a handler runs, records the route pattern
 * and, when the handler throws, the real error message (the client only sees a generic 500).
 * The record itself is completed and made durable by AuditRecorder when the response ends,
 * because errors thrown before interceptors run (body parser, unknown route, guards, throttler)
 * never pass through here; for those the recorder reads Express's matched route and the message
 * HttpExceptionFilter leaves in res.locals. Records reach the database through TypeORM in
 * AuditWriter/AuditRepository.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const locals = http.getResponse<Response>().locals as AuditLocals;
    const route = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof route === 'string') locals.auditRoute = route;
    return next.handle().pipe(
      tap({
        error: (err: unknown) => {
          locals.auditError = err instanceof Error ? err.message : String(err);
        },
      }),
    );
  }
}
