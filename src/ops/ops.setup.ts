import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../config/app-config';

/** Allowed origins from CORS_ORIGINS: '' = CORS off, '*' = any, else the listed origins. */
export function corsOrigins(setting: string): false | true | string[] {
  const list = setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return false;
  return list.includes('*') ? true : list;
}

/**
 * The ops part of configureApp(): security headers and CORS. (The access log and metrics are
 * installed with the request id, in configureApp's edge hooks, so they see every request, even
 * one the body parser refuses.)
 */
export async function applyOps(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  await app.register(helmet, {
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
  });
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
