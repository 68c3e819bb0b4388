/**
 * Where the hub sits in a Nest app: by default on the HTTP server, in front of Express / Fastify,
 * so hub requests never pass through the app's middleware or hooks; with `mount: 'framework'`, as
 * framework middleware; and as that middleware too when the framework is reached without the
 * Nest server (the Express instance served by another server). Real Nest apps over HTTP.
 */
import * as http from 'http';
import * as http2 from 'http2';
import type { AddressInfo } from 'net';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Body, Controller, INestApplication, Module, Post } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import express from 'express';
import { MercureModule } from 'nestjs-mercure';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import type { MercureHubModuleOptions } from '../../lib/hub/mercure-hub.options';
import { form, publishOk, publisherToken, request, SECRET, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';
import { ReflectMetadataProvider } from '../support/mikro-orm-version';

const BOOK = 'https://example.com/books/1';
const HUB_OPTIONS: MercureHubModuleOptions = { anonymous: true, publisherJwt: { key: SECRET } };

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown): unknown {
    return { received: body };
  }
}

type Platform = 'express' | 'fastify';

function appModule(hubOptions: MercureHubModuleOptions) {
  @Module({
    imports: [
      MikroOrmModule.forRoot({ driver: LibSqlDriver, dbName: ':memory:', entities: [], discovery: { warnWhenNoEntities: false }, metadataProvider: ReflectMetadataProvider, allowGlobalContext: true }),
      MercureModule.forRoot({ baseUrl: 'https://example.com' }),
      MercureHubModule.forRoot(hubOptions),
    ],
    controllers: [EchoController],
  })
  class ServerMountAppModule {}
  return ServerMountAppModule;
}

/** A Nest app whose global middleware (Express) or onRequest hook (Fastify) records every path it sees. */
async function createApp(platform: Platform, hubOptions: MercureHubModuleOptions) {
  const moduleRef = await Test.createTestingModule({ imports: [appModule(hubOptions)] }).compile();
  const seen: string[] = [];
  let app: INestApplication;
  if (platform === 'express') {
    app = moduleRef.createNestApplication({ logger: false });
    app.use((req: http.IncomingMessage, _res: http.ServerResponse, next: () => void) => {
      seen.push(req.url!.split('?')[0]);
      next();
    });
  } else {
    const fastifyApp = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    fastifyApp.getHttpAdapter().getInstance().addHook('onRequest', (req, _reply, done) => {
      seen.push(req.url.split('?')[0]);
      done();
    });
    app = fastifyApp;
  }
  return { app, seen };
}

async function listen(platform: Platform, hubOptions: MercureHubModuleOptions) {
  const { app, seen } = await createApp(platform, hubOptions);
  await app.init();
  await app.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const hub = app.get(MercureHub);
  return { app, seen, hub, baseUrl, hubUrl: baseUrl + hub.path };
}

/** Listens on a free port of 127.0.0.1; the base URL. */
async function listenOn(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Subscribes, publishes twice, and checks both arrive, on one subscriber connection. */
async function roundTrip(hub: MercureHub, hubUrl: string) {
  const sse = await subscribe(subscribeUrl(hubUrl, [BOOK]));
  expect(hub.connectionCount).toBe(1);
  const ids = [await publishOk(hubUrl, { topic: BOOK, data: 'one' }), await publishOk(hubUrl, { topic: BOOK, data: 'two' })];
  expect((await sse.events(2)).map((event) => [event.id, event.data])).toEqual([
    [ids[0], 'one'],
    [ids[1], 'two'],
  ]);
  sse.close();
}

describe.each<Platform>(['express', 'fastify'])('The hub in a Nest (%s) app', (platform) => {
  it('serves its requests from the HTTP server: the global middleware never sees them, and sees every other route', async () => {
    const h = await listen(platform, HUB_OPTIONS);
    try {
      await roundTrip(h.hub, h.hubUrl);
      const preflight = await request(h.hubUrl, { method: 'OPTIONS' });
      expect(preflight.status).toBe(204);
      expect((await request(`${h.hubUrl}?topic=x`, { method: 'DELETE' })).status).toBe(405);
      expect(h.seen).toEqual([]);

      const missing = await request(`${h.baseUrl}/nothing-here`);
      expect(missing.status).toBe(404);
      expect(missing.headers.link).toContain('rel="mercure"');
      const echo = await request(`${h.baseUrl}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
      expect(JSON.parse(echo.body)).toEqual({ received: { a: 1 } });
      // Below the hub's path but not the hub's: the framework's, as before.
      expect((await request(`${h.baseUrl}${h.hub.path}/other`)).status).toBe(404);
      expect(h.seen).toEqual(['/nothing-here', '/echo', `${h.hub.path}/other`]);
    } finally {
      await h.app.close();
    }
  });

  it("with mount: 'framework', passes hub requests through the global middleware first", async () => {
    const h = await listen(platform, { ...HUB_OPTIONS, mount: 'framework' });
    try {
      await roundTrip(h.hub, h.hubUrl);
      expect(h.seen).toEqual([h.hub.path, h.hub.path, h.hub.path]);
    } finally {
      await h.app.close();
    }
  });

  it('app.close() ends the open streams and returns', async () => {
    const h = await listen(platform, HUB_OPTIONS);
    const streams = await Promise.all([1, 2, 3].map(() => subscribe(subscribeUrl(h.hubUrl, [BOOK]))));
    expect(h.hub.connectionCount).toBe(3);
    await h.app.close();
    await Promise.all(streams.map((sse) => sse.ended));
    expect(h.hub.connectionCount).toBe(0);
  });
});

describe('The hub in a Nest (Express) app reached without app.listen()', () => {
  it("on Nest's own server listened to directly after init (as supertest does), is still mounted on it", async () => {
    const { app, seen } = await createApp('express', HUB_OPTIONS);
    await app.init();
    const server = app.getHttpServer() as http.Server;
    const baseUrl = await listenOn(server);
    const hub = app.get(MercureHub);
    try {
      await roundTrip(hub, baseUrl + hub.path);
      expect(seen).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('on another http.Server serving the Express instance, is answered by the framework-level fallback, once', async () => {
    const expressApp = express();
    const moduleRef = await Test.createTestingModule({ imports: [appModule(HUB_OPTIONS)] }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(expressApp), { logger: false });
    const seen: string[] = [];
    app.use((req: http.IncomingMessage, _res: http.ServerResponse, next: () => void) => {
      seen.push(req.url!.split('?')[0]);
      next();
    });
    await app.init();
    const server = http.createServer(expressApp);
    const baseUrl = await listenOn(server);
    const hub = app.get(MercureHub);
    try {
      await roundTrip(hub, baseUrl + hub.path);
      expect(seen).toEqual([hub.path, hub.path, hub.path]);
      const echo = await request(`${baseUrl}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"b":2}' });
      expect(JSON.parse(echo.body)).toEqual({ received: { b: 2 } });
    } finally {
      await app.close();
      await stop(server);
    }
  });
});

describe('The hub in a Nest (Fastify) app reached without the server', () => {
  it("on another http.Server handing requests to Fastify's router, is answered by the framework-level fallback", async () => {
    const { app, seen } = await createApp('fastify', HUB_OPTIONS);
    await app.init();
    const fastifyInstance = (app as NestFastifyApplication).getHttpAdapter().getInstance();
    await fastifyInstance.ready();
    const server = http.createServer((req, res) => fastifyInstance.routing(req, res));
    const baseUrl = await listenOn(server);
    const hub = app.get(MercureHub);
    try {
      await roundTrip(hub, baseUrl + hub.path);
      expect(seen).toEqual([hub.path, hub.path, hub.path]);
    } finally {
      await app.close();
      await stop(server);
    }
  });
});

describe('The hub in a Nest (Fastify) app over HTTP/2 (h2c)', () => {
  /** One request on the session; resolves with the status once `until` says the body is complete. */
  function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: string | undefined, until: (text: string) => boolean) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const stream = session.request(headers);
      let status = 0;
      let text = '';
      stream.setEncoding('utf8');
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (chunk: string) => {
        text += chunk;
        if (until(text)) resolve({ status, text });
      });
      stream.on('end', () => resolve({ status, text }));
      stream.on('error', reject);
      stream.end(body);
    });
  }

  it("is served from the HTTP/2 server's request event too, never through the onRequest hook", async () => {
    const moduleRef = await Test.createTestingModule({ imports: [appModule(HUB_OPTIONS)] }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ http2: true }), { logger: false });
    const seen: string[] = [];
    app.getHttpAdapter().getInstance().addHook('onRequest', (req, _reply, done) => {
      seen.push(req.url.split('?')[0]);
      done();
    });
    await app.listen(0, '127.0.0.1');
    const hub = app.get(MercureHub);
    const session = http2.connect(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
    try {
      const stream = h2Request(session, { ':path': `${hub.path}?topic=${encodeURIComponent(BOOK)}` }, undefined, (text) => text.includes('data: over h2\n\n'));
      while (hub.connectionCount === 0) await new Promise((resolve) => setImmediate(resolve));
      const published = await h2Request(
        session,
        { ':path': hub.path, ':method': 'POST', 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${await publisherToken()}` },
        form({ topic: BOOK, data: 'over h2' }),
        () => false,
      );
      expect(published.status).toBe(200);
      const received = await stream;
      expect([received.status, received.text]).toEqual([200, `:\nid: ${published.text}\ndata: over h2\n\n`]);
      expect((await h2Request(session, { ':path': '/nothing-here' }, undefined, () => false)).status).toBe(404);
      expect(seen).toEqual(['/nothing-here']);
    } finally {
      // An HTTP/2 server's close() waits for its clients' sessions, whichever way the hub is mounted.
      session.destroy();
      await app.close();
    }
  });
});
