import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openRequestContext, RequestContext } from './request-context';

export const REQUEST_ID_HEADER = 'x-request-id';
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when sane, else a new UUID. */
function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * The first thing every request meets (the edge's first hook), before body parsing so even a
 * malformed body gets an id: gives it its request id (echoed as X-Request-Id) and opens its
 * RequestContext. `clientIp` is read now, while the socket exists (Fastify's `request.ip`,
 * which honours the trusted proxy).
 */
export function openRequest(
  req: IncomingMessage,
  res: ServerResponse,
  clientIp: string | null,
): RequestContext {
  const id = requestIdOf(req);
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader('X-Request-Id', id);
  const url = req.url ?? '/';
  return openRequestContext(req, new RequestContext(id, url.split('?')[0], clientIp));
}
