import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';

/** Label of requests no route matched: one series, whatever the path, so scanners cannot blow up cardinality. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Status recorded for a request whose client hung up before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499;

/** The model version that served a request. */
interface ServedModel {
  family: string;
  version: number;
}

/**
 * The facts about one request that several layers need, typed, in one place: the edge opens it
 * when the request arrives, controllers, the interceptor and the exception filter fill it in, and
 * the audit recorder, the access log and the metrics read it once the response is done. It lives
 * beside the request, not in the framework's response object, so it is the same on any adapter.
 */
export class RequestContext {
  /** Route pattern (`/v1/admin/datasets/:batchId/rejected-rows`, Fastify's `routeOptions.url`), when a route matched. */
  route?: string;
  /** The model that served the request (the prediction endpoints say so). */
  model?: ServedModel;
  /** How many diamonds a batch request priced. */
  predictionCount?: number;
  /** What the client was told, for every error response (set by HttpExceptionFilter). */
  errorMessage?: string;
  /** The real message of an exception a handler threw (the client only gets a generic 500). */
  handlerError?: string;
  /** The request's parsed body, when the adapter keeps it off the raw request. */
  body?: unknown;
  /**
   * The body passed a closed fast-path schema (validation pipe): known keys only, none of them
   * secret, no NUL, a few levels deep. The audit recorder stores it without a redacted copy.
   */
  bodyIsClean = false;
  /** Infrastructure routes (docs, probes, metrics, dashboard) are not API traffic: not audited. */
  notAudited = false;

  constructor(
    readonly requestId: string,
    /** Path without the query string, as sent. */
    readonly path: string,
    /** The client's address, read on arrival: the socket may be gone by the time the response is done. */
    readonly clientIp: string | null,
  ) {}
}

/**
 * Where a node request keeps its context: a symbol property, not a WeakMap entry (the context
 * lives and dies with its request either way; a property costs the garbage collector nothing
 * extra, an ephemeron per request does).
 */
const CONTEXT = Symbol('requestContext');
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };

/** Log correlation: code running for a request (a service's log line) finds its context here. */
export const requestScope = new AsyncLocalStorage<RequestContext>();

/** The node request under Fastify's request object (`.raw`), or the node request itself. */
export function rawRequest(req: object): IncomingMessage {
  const raw = (req as { raw?: unknown }).raw;
  return (raw && typeof raw === 'object' ? raw : req) as IncomingMessage;
}

export function openRequestContext(req: IncomingMessage, context: RequestContext): RequestContext {
  (req as WithContext)[CONTEXT] = context;
  return context;
}

/** The context of a request (Fastify's request object or the node request). */
export function requestContextOf(req: object): RequestContext | undefined {
  return (rawRequest(req) as WithContext)[CONTEXT];
}

/** A controller parameter: the current request's context, for the facts only the handler knows. */
export const CurrentRequest = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RequestContext => {
    const req = ctx.switchToHttp().getRequest<object>();
    return (
      requestContextOf(req) ?? openRequestContext(rawRequest(req), new RequestContext('', '', null))
    );
  },
);
