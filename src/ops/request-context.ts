import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while serving a request should carry. */
export interface RequestContext {
  requestId: string;
}

/**
 * Carries the request id through async calls, so a service's log line (not only the access log)
 * names the request that caused it without every method passing it along.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();
