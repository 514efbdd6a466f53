import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { AppConfig } from '../config/app-config';

/** Allowed origins from CORS_ORIGINS: '' = CORS off, '*' = any, else the listed origins. */
function corsOrigins(setting: string): false | true | string[] {
  const list = setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return false;
  return list.includes('*') ? true : list;
}

/**
 * Security headers, built once and applied by configureApp's first request hook to node's
 * response, so errors and 404s carry them too. (@fastify/helmet builds the helmet middleware
 * anew on every request, behind two more hooks: 3.5 % of the service's CPU under load.)
 */
export function securityHeaders(): (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void {
  return replayed(
    helmet({
      contentSecurityPolicy: {
        // Everything (Swagger UI, the dashboard and its chart library) is served by the app itself.
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
      // Plain http on a private network is a supported deployment; HSTS belongs to the TLS proxy.
      strictTransportSecurity: false,
    }),
  );
}

/**
 * Helmet sets the same headers on every response (nothing of it depends on the request): it
 * runs once here against a recording response, and each request gets the recorded calls, in
 * the same order, without helmet's dozen middleware calls. Should it ever not answer at once
 * and without error, helmet itself runs on every request.
 */
function replayed(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void,
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const calls: [name: string, value: string | number | readonly string[] | null][] = [];
  let completed = false;
  try {
    middleware(
      { headers: {}, method: 'GET', url: '/' } as IncomingMessage,
      {
        setHeader: (name: string, value: string | number | readonly string[]) => {
          calls.push([name, value]);
        },
        removeHeader: (name: string) => {
          calls.push([name, null]);
        },
      } as unknown as ServerResponse,
      (err?: unknown) => {
        completed = err === undefined;
      },
    );
  } catch {
    completed = false;
  }
  if (!completed) return middleware;
  return (_req, res, next) => {
    for (const [name, value] of calls)
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    next();
  };
}

/** The ops part of configureApp(): CORS. */
export function applyOps(app: INestApplication): void {
  const config = app.get(AppConfig);
  const origins = corsOrigins(config.CORS_ORIGINS);
  if (origins) {
    app.enableCors({
      origin: origins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
      exposedHeaders: [
        'X-Request-Id',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }
}
