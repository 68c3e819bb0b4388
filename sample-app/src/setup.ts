import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { HubRegistry, mercureLink } from 'nestjs-mercure';
import { rejectDeepJson } from './common/json-depth';

const JSON_TYPES = ['application/json', 'application/merge-patch+json', 'application/ld+json'];
const RESOURCE_PATHS = ['/books', '/reviews', '/notes', '/login', '/logout'];

/** What `main.ts` and the e2e tests both apply to the app, so tests run the app users run. */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  const hub = app.get(HubRegistry).get();
  express.use(advertiseHub(hub.subscribeUrl && mercureLink(hub.subscribeUrl, hub.protocol)));
  express.use(RESOURCE_PATHS, resourceGate());
  // PATCH accepts JSON merge patch (RFC 7396) as well as plain JSON.
  express.useBodyParser('json', { type: JSON_TYPES });
  express.use(rejectDeepJson);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, transform: true, forbidUnknownValues: true, stopAtFirstError: false }),
  );
  app.enableCors({ exposedHeaders: ['Link', 'Location'] });
  app.enableShutdownHooks();
  return app;
}

/**
 * Runs before everything: the discovery header also goes on the answers the library's interceptor
 * never sees (no route: 404; the 400s of the body parser and Express: malformed JSON, bad URL
 * encoding), since discovery 'all' means every response.
 */
function advertiseHub(link: string | undefined) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (link) res.append('Link', link);
    next();
  };
}

/** A body in a type we do not read is refused with 415 rather than ignored. */
function resourceGate() {
  return (req: Request, res: Response, next: NextFunction) => {
    const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if ((req.method === 'POST' || req.method === 'PATCH') && type && !JSON_TYPES.includes(type)) {
      res.status(415).json({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: `${type} is not supported; send ${JSON_TYPES.join(' or ')}`,
      });
      return;
    }
    next();
  };
}
