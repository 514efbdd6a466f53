import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';
import {
  CLIENT_CLOSED_STATUS,
  requestContextOf,
  requestScope,
  UNMATCHED_ROUTE,
} from '../common/request-context';
import type { MetricsService } from './metrics.service';

/**
 * Installed right after the request id: once the response is done, counts the request in the
 * metrics and writes one access-log line, from the request's RequestContext. The line carries
 * method, path (no query string), route, status, duration, client address and the model that
 * served it; never a header, so never the Authorization token. Infrastructure routes (probes,
 * scrapes, the dashboard) are logged at debug so they do not drown the access log.
 *
 * It runs from the response's 'finish'/'close' events, when the socket may be gone: nothing here
 * may throw out of the event handler (a throw there would end the process), so it is guarded.
 */
export function httpObserver(metrics: MetricsService, logger: Pino) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      try {
        observe(req, res, started, metrics, logger);
      } catch (err) {
        logger.error({ err }, `Could not log ${req.method} ${req.url}: ${(err as Error).message}`);
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}

function observe(
  req: IncomingMessage,
  res: ServerResponse,
  started: bigint,
  metrics: MetricsService,
  logger: Pino,
): void {
  const ctx = requestContextOf(req);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A client that hung up before the response was complete.
  const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS;
  const route = ctx?.route ?? UNMATCHED_ROUTE;
  const method = req.method ?? 'GET';
  metrics.observeRequest(method, route, status, seconds, ctx?.model, ctx?.predictionCount);
  const path = ctx?.path ?? (req.url ?? '/').split('?')[0];
  const level =
    status >= 500 ? 'error' : status >= 400 ? 'warn' : ctx?.notAudited ? 'debug' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const line: Record<string, unknown> = {
    method,
    path,
    route,
    status,
    durationMs: Math.round(seconds * 10000) / 10,
    client: ctx?.clientIp ?? null,
  };
  if (ctx?.model) line.model = `${ctx.model.family}@${ctx.model.version}`;
  if (ctx?.predictionCount !== undefined) line.predictionCount = ctx.predictionCount;
  if (ctx?.errorMessage) line.error = ctx.errorMessage;
  const write = () => logger[level](line, `${method} ${path} ${status}`);
  if (ctx) requestScope.run(ctx, write);
  else write();
}
