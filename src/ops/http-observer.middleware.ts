import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { REQUEST_ID_HEADER } from '../common/request-id.middleware';
import type { MetricsService } from './metrics.service';
import { requestContext } from './request-context';

/** Label of requests no route matched: one series, whatever the path, so scanners cannot blow up cardinality. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Probes and scrapes arrive every few seconds: logged at debug so they do not drown the access log. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$)/;

/** The route pattern express matched (`/v1/admin/datasets/:batchId/rejected-rows`), never the raw path. */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : UNMATCHED_ROUTE;
}

/**
 * Installed right after the request id: runs the rest of the request inside its log context,
 * then, once the response is done, counts it in the metrics and writes one access-log line.
 * The line carries method, path (no query string), route, status, duration, client address and
 * the model that served it; never a header, so never the Authorization token.
 */
export function httpObserver(metrics: MetricsService, logger: Pino): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = String(req.headers[REQUEST_ID_HEADER] ?? '');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A client that hung up before the response was complete: nginx's 499.
      const status = res.writableFinished ? res.statusCode : 499;
      const route = routeOf(req);
      const model = res.locals.model as { family: string; version: number } | undefined;
      const predictionCount = res.locals.predictionCount as number | undefined;
      metrics.observeRequest(req.method, route, status, seconds, model, predictionCount);
      const path = req.originalUrl.split('?')[0];
      const level =
        status >= 500
          ? 'error'
          : status >= 400
            ? 'warn'
            : QUIET_PATHS.test(path)
              ? 'debug'
              : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        method: req.method,
        path,
        route,
        status,
        durationMs: Math.round(seconds * 10000) / 10,
        client: req.ip,
      };
      if (model) line.model = `${model.family}@${model.version}`;
      if (predictionCount !== undefined) line.predictionCount = predictionCount;
      if (res.locals.errorMessage) line.error = res.locals.errorMessage;
      requestContext.run({ requestId }, () =>
        logger[level](line, `${req.method} ${path} ${status}`),
      );
    };
    res.on('finish', finish);
    res.on('close', finish);
    requestContext.run({ requestId }, next);
  };
}
