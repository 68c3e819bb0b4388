import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** What `main.ts` and the e2e tests both apply to the app, so tests run the app users run. */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  // PATCH accepts JSON merge patch (RFC 7396) as well as plain JSON.
  express.useBodyParser('json', { type: ['application/json', 'application/merge-patch+json', 'application/ld+json'] });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, transform: true, forbidUnknownValues: true, stopAtFirstError: false }),
  );
  app.enableCors({ exposedHeaders: ['Link', 'Location'] });
  app.enableShutdownHooks();
  return app;
}
