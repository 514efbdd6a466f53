import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openRequestContext, RequestContext, requestScope } from './request-context';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when sane, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : randomUUID();
}

/** The client's address while the socket is there (Express's `req.ip` honours `trust proxy`). */
function clientIpOf(req: IncomingMessage): string | null {
  try {
    const ip = (req as { ip?: unknown }).ip;
    if (typeof ip === 'string') return ip;
    return req.socket?.remoteAddress ?? null;
  } catch {
    return null;
  }
}

/**
 * The first thing every request meets, before body parsing so even a malformed body gets an id:
 * gives it its request id (echoed as X-Request-Id) and opens its RequestContext.
 */
export function openRequest(
  req: IncomingMessage,
  res: ServerResponse,
  clientIp: string | null = clientIpOf(req),
): RequestContext {
  const id = requestIdOf(req);
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader('X-Request-Id', id);
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return openRequestContext(req, new RequestContext(id, url.split('?')[0], clientIp));
}

/** Express-level version: the rest of the request runs inside its log scope. */
export function requestIdHandler(
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
): void {
  requestScope.run(openRequest(req, res), next);
}
