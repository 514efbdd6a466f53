import { INestApplication, ShutdownSignal } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from './config/app-config';
import { parseByteSize } from './common/byte-size';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { AuditRouteConfig } from './common/not-audited.decorator';
import { requestContextOf, requestScope } from './common/request-context';
import { openRequest } from './common/request-id';
import { createValidationPipe } from './common/validation.pipe';
import { documentCommonResponses } from './common/openapi-common-responses';
import { hotPathValidators } from './prediction/hot-path-validation';
import { applyOps, securityHeaders } from './ops/ops.setup';
import { httpObserver } from './ops/http-observer.hook';
import { MetricsService } from './ops/metrics.service';
import { PinoLoggerService } from './ops/pino-logger.service';
import { ShutdownDrain } from './ops/shutdown-drain';
import { AuditRecorder } from './audit/audit-recorder';

/** Where the API docs live; their routes are not API traffic (see markDocsNotAudited). */
const DOCS_PATH = '/docs';
const DOCS_JSON_PATH = '/docs-json';

/**
 * The HTTP adapter, shared by main.ts and the e2e tests: Fastify, trusting a proxy on loopback
 * only (so X-Forwarded-For cannot be forged from outside), JSON bodies up to BODY_LIMIT.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: 'loopback',
    bodyLimit: parseByteSize(config.BODY_LIMIT),
    // Path parameters of any length reach the routes (Node's header limit bounds the URL), so a
    // long one gets the API's 400/404 with its error shape and request id: Fastify's own 414 for a
    // parameter over 100 characters is written before any hook runs (no request id, not audited).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 65_536 },
    // The service's own request ids and access log replace Fastify's.
    logger: false,
  });
}

/**
 * Everything applied to the HTTP app, shared by main.ts and the e2e tests so the tests
 * exercise exactly what runs in production. Call before app.init() / app.listen().
 */
export async function configureApp(app: INestApplication): Promise<void> {
  const fastifyApp = app as NestFastifyApplication;
  const fastify = fastifyApp.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installEdge(app, fastify);
  applyOps(app);
  // A raw upload (text/csv, or any type without a parser) stays a stream: the handler reads it as
  // it arrives (the datasets upload streams it to disk, counting bytes against UPLOAD_MAX_BYTES).
  fastify.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.useGlobalPipes(createValidationPipe(hotPathValidators()));
  app.useGlobalFilters(
    new HttpExceptionFilter(app.get(HttpAdapterHost), parseByteSize(app.get(AppConfig).BODY_LIMIT)),
  );
  // SIGTERM and SIGINT drain first (main.ts: stopGracefullyOnSignals); other signals close at once.
  app.enableShutdownHooks(
    Object.values(ShutdownSignal).filter(
      (s) => s !== ShutdownSignal.SIGTERM && s !== ShutdownSignal.SIGINT,
    ),
  );
  setupSwagger(app, fastify);
}

/**
 * The first hooks of every request, before body parsing so even a malformed body is seen: the
 * request id and RequestContext, the audit recorder (it hooks the response end, so it sees every
 * outcome, even those no interceptor sees), the access log and metrics. They work on node's
 * request and response, so they are the same whatever the framework above them.
 */
function installEdge(app: INestApplication, fastify: FastifyInstance): void {
  const recorder = app.get(AuditRecorder).handler;
  const observer = httpObserver(app.get(MetricsService), app.get(PinoLoggerService).pino);
  const headers = securityHeaders();
  const drain = app.get(ShutdownDrain);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    const ctx = openRequest(request.raw, reply.raw, request.ip);
    drain.onResponse(reply.raw);
    ctx.route = request.routeOptions.url;
    // @NotAudited() routes and the docs carry the mark in their Fastify route config.
    if ((request.routeOptions.config as AuditRouteConfig | undefined)?.notAudited)
      ctx.notAudited = true;
    headers(request.raw, reply.raw, () =>
      recorder(request.raw, reply.raw, () =>
        observer(request.raw, reply.raw, () => requestScope.run(ctx, done)),
      ),
    );
  });
  // A response that began before the drain and ends during it closes its connection too.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    drain.onResponse(reply.raw);
    done(null, payload);
  });
  // After body parsing: the handler runs inside the request's log scope whatever the parser's
  // stream events did, and the parsed body, which lives on Fastify's request and not node's, is kept
  // for the audit record, also for requests a guard refuses.
  fastify.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const ctx = requestContextOf(request.raw);
    if (!ctx) return done();
    if (request.body !== undefined) ctx.body = request.body;
    requestScope.run(ctx, done);
  });
}

function setupSwagger(app: INestApplication, fastify?: FastifyInstance): void {
  const document = documentCommonResponses(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Diamond pricing service')
        .setDescription(
          'Fair prices for diamonds bought from the public. Price a diamond, find similar diamonds in the dataset, ' +
            'inspect the models that price them. Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`. ' +
            'Every response carries `X-Request-Id`; every error has the shape `{ statusCode, error, code, message, details?, requestId }` (`details`: an array of `{ field, rules, value? }`).',
        )
        .setVersion('1')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
        .addBearerAuth(
          { type: 'http', scheme: 'bearer', description: 'STAFF_TOKEN or ADMIN_TOKEN' },
          'staff',
        )
        .build(),
    ),
  );
  if (fastify) markDocsNotAudited(fastify);
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: DOCS_JSON_PATH.slice(1),
  });
}

/**
 * The docs are routes of their own, outside Nest's controllers (so no @NotAudited() there): the
 * routes registered under their path carry the same mark in their Fastify route config.
 */
function markDocsNotAudited(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (
      route.url === DOCS_JSON_PATH ||
      route.url === DOCS_PATH ||
      route.url.startsWith(`${DOCS_PATH}/`)
    )
      route.config = { ...(route.config ?? {}), notAudited: true } satisfies AuditRouteConfig;
  });
}
