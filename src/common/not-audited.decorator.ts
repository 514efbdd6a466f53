import { applyDecorators } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { SkipThrottle } from '@nestjs/throttler';

/** The Fastify route config key the edge reads (app.setup.ts) to leave a request out of the audit trail. */
export interface AuditRouteConfig {
  notAudited?: boolean;
}

/** Adds `notAudited: true` to a handler's Fastify route config (Nest's @RouteConfig), keeping what is there. */
function markHandler(handler: object): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as object;
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, notAudited: true }, handler);
}

/**
 * The route (or every route of the controller) is not API traffic: the audit trail leaves it
 * out. It is Fastify route config (what @RouteConfig sets), which Fastify hands the edge with the
 * matched route; Nest reads route config from handlers only, so on a controller every handler is
 * marked. Beside a @RouteConfig of its own, put it above (decorators apply bottom-up, and
 * @RouteConfig replaces the config it finds).
 */
export const NotAudited =
  () =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) return markHandler(descriptor.value as object);
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name !== 'constructor' && typeof handler === 'function') markHandler(handler);
    }
  };

/**
 * Probes, scrapes and the like: never throttled (operators and probes must get through when the
 * public API is saturated), never audited, and logged at debug by the access log.
 */
export const InfrastructureRoute = () => applyDecorators(NotAudited(), SkipThrottle());
