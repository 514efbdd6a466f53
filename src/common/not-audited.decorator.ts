import { applyDecorators, SetMetadata, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { SkipThrottle } from '@nestjs/throttler';

export const NOT_AUDITED = 'diamonds:not-audited';

/** The route (or every route of the controller) is not API traffic: the audit trail leaves it out. */
export const NotAudited = () => SetMetadata(NOT_AUDITED, true);

/**
 * Probes, scrapes and the like: never throttled (operators and probes must get through when the
 * public API is saturated), never audited, and logged at debug by the access log.
 */
export const InfrastructureRoute = () => applyDecorators(NotAudited(), SkipThrottle());

/**
 * The route patterns (`/health/live`, `/dashboard/assets/:name`) of every handler marked
 * @NotAudited(), on itself or on its controller, read once at start-up: the edge compares each
 * request's matched route with this set, so no interceptor has to run on every request for it.
 */
export function notAuditedRoutes(discovery: DiscoveryService, reflector: Reflector): Set<string> {
  const routes = new Set<string>();
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller?.prototype) continue;
    const wholeController = reflector.get<boolean>(NOT_AUDITED, controller) === true;
    const prefixes = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value as unknown;
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const own = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
      if (own === undefined) continue;
      if (!wholeController && reflector.get<boolean>(NOT_AUDITED, handler) !== true) continue;
      for (const prefix of prefixes)
        for (const path of pathsOf(own)) routes.add(joinPath(prefix, path));
    }
  }
  return routes;
}

function pathsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return [typeof value === 'string' ? value : ''];
}

function joinPath(...parts: string[]): string {
  return `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}
