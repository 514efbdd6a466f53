import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { routePatternOf } from '../common/http-route';
import { NOT_AUDITED } from '../common/not-audited.decorator';
import {
  openRequestContext,
  rawRequest,
  RequestContext,
  requestContextOf,
  requestScope,
} from '../common/request-context';

/**
 * The Nest side of the request context, for every request a handler runs: notes the route
 * pattern, whether the route is @NotAudited(), and, when the handler throws, the real error
 * message (the client only sees a generic 500); runs the handler inside the request's log scope.
 * AuditRecorder, the access log and the metrics read these facts when the response ends; errors
 * thrown before interceptors run (body parser, unknown route, guards, throttler) never pass
 * through here, and for those the recorder reads the framework's matched route and the message
 * HttpExceptionFilter leaves in the context.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<object>();
    const ctx =
      requestContextOf(req) ??
      openRequestContext(rawRequest(req), new RequestContext('', '', null));
    ctx.route = routePatternOf(req) ?? ctx.route;
    if (
      this.reflector.getAllAndOverride<boolean>(NOT_AUDITED, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      ctx.notAudited = true;
    const body = (req as { body?: unknown }).body;
    if (body !== undefined && ctx.body === undefined) ctx.body = body;
    return new Observable((subscriber) =>
      requestScope.run(ctx, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (err: unknown) => {
            ctx.handlerError = err instanceof Error ? err.message : String(err);
            subscriber.error(err);
          },
          complete: () => subscriber.complete(),
        }),
      ),
    );
  }
}
