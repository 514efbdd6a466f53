import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { requestContextOf } from './request-context';
import { SkipThrottle } from '@nestjs/throttler';

export const NOT_AUDITED = 'diamonds:not-audited';

/** The route is not API traffic (probes, scrapes, the dashboard): the audit trail leaves it out. */
export const NotAudited = () => SetMetadata(NOT_AUDITED, true);

/**
 * Probes, scrapes, docs and the dashboard: never throttled (operators and probes must get through
 * when the public API is saturated), never audited, and logged at debug by the access log.
 */
export const InfrastructureRoute = () => applyDecorators(NotAudited(), SkipThrottle());

/** The same mark for routes served outside Nest's controllers (the API docs), as a middleware. */
export function markNotAudited(req: IncomingMessage, _res: unknown, next: () => void): void {
  const ctx = requestContextOf(req);
  if (ctx) ctx.notAudited = true;
  next();
}
