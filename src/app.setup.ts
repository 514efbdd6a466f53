import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { markNotAudited } from './common/not-audited.decorator';
import { requestIdHandler } from './common/request-id.middleware';
import { createValidationPipe } from './common/validation.pipe';
import { applyOps } from './ops/ops.setup';
import { AuditRecorder } from './audit/audit-recorder';

/**
 * Everything applied to the HTTP app, shared by main.ts and the e2e tests so the tests
 * exercise exactly what runs in production.
 */
export function configureApp(app: INestApplication): void {
  const config = app.get(AppConfig);
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.set('trust proxy', 'loopback');
  app.use(requestIdHandler);
  // The audit trail hooks the response end here, so it sees every outcome, even those no interceptor sees.
  app.use(app.get(AuditRecorder).handler);
  applyOps(app);
  app.use(json({ limit: config.BODY_LIMIT }));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(app.get(HttpAdapterHost)));
  app.enableShutdownHooks();
  setupSwagger(app);
}

export function setupSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Diamond pricing service')
      .setDescription(
        'Fair prices for diamonds bought from the public. Price a diamond, find similar diamonds in the dataset, ' +
          'inspect the models that price them. Admin endpoints need `Authorization: Bearer <ADMIN_TOKEN>`. ' +
          'Every response carries `X-Request-Id`; every error has the shape `{ statusCode, error, message, code?, details?, requestId }`.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .build(),
  );
  // The docs are routes of their own, outside Nest's controllers: marked as not API traffic here.
  app.use(['/docs', '/docs-json'], markNotAudited);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
