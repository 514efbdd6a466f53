import type { IncomingMessage } from 'node:http';

/** Label of requests no route matched: one series, whatever the path, so scanners cannot blow up cardinality. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Status recorded for a request whose client hung up before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

/**
 * The route pattern the framework matched (`/v1/admin/datasets/:batchId/rejected-rows`), never
 * the raw path; undefined when no route matched. Express leaves it on the request as `route.path`
 * (Nest mounts every route on the app itself, so there is no `baseUrl` to prefix); Fastify keeps it
 * in `routeOptions.url` of its own request object.
 */
export function routePatternOf(req: IncomingMessage | object): string | undefined {
  const express = (req as { route?: { path?: unknown } }).route?.path;
  if (typeof express === 'string') return express;
  const fastify = (req as { routeOptions?: { url?: unknown } }).routeOptions?.url;
  return typeof fastify === 'string' ? fastify : undefined;
}
