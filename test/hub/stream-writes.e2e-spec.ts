/**
 * How frames reach subscribers once their stream started: straight to the socket when the
 * response would pass them on unchanged, through `res.write` when a middleware transforms the
 * body. Real Nest (Express) apps and real SSE connections. Middleware reaches hub responses only
 * with `mount: 'framework'` (the default mount answers hub requests before Express).
 */
import * as http from 'http';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import type { MercureHubModuleOptions } from '../../lib/hub/mercure-hub.options';
import { publishOk, SECRET, startNestHub, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

/** A Nest app, hub mounted as framework middleware, whose first middleware rewrites every body chunk (as compression would). */
async function startWithRewritingMiddleware(options: MercureHubModuleOptions) {
  @Module({ imports: [MercureHubModule.forRoot({ ...options, mount: 'framework' })] })
  class RewritingAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [RewritingAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.use((_req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
    const write = res.write;
    res.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
      const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      return (write as (...args: unknown[]) => boolean).call(this, text.replace(/^data: /gm, 'data: [rewritten] '), ...rest);
    } as typeof res.write;
    next();
  });
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const hub = app.get(MercureHub);
  return { hub, hubUrl: baseUrl + hub.path, close: () => app.close() };
}

describe('Frames written to started streams', () => {
  it('go through a middleware that replaced res.write, replayed and live alike', async () => {
    const h = await startWithRewritingMiddleware({ anonymous: true, publisherJwt: { key: SECRET } });
    try {
      const first = await publishOk(h.hubUrl, { topic: BOOK, data: 'before' });
      const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), { 'Last-Event-ID': 'earliest' });
      expect((await sse.nextEvent()).id).toBe(first);
      await publishOk(h.hubUrl, { topic: BOOK, data: 'live' });
      const live = await sse.nextEvent();
      expect(live.data).toBe('[rewritten] live');
      sse.close();
    } finally {
      await h.close();
    }
  });

  it('reach every remaining subscriber of a Nest (Express) app once others left, in order', async () => {
    const h = await startNestHub({ anonymous: true, publisherJwt: { key: SECRET } });
    try {
      const streams = await Promise.all(Array.from({ length: 5 }, () => subscribe(subscribeUrl(h.hubUrl, [BOOK]))));
      streams[1].close();
      streams[3].close();
      while (h.hub.connectionCount > 3) await new Promise((resolve) => setTimeout(resolve, 10));
      const ids = [];
      for (let i = 0; i < 20; i++) ids.push(await publishOk(h.hubUrl, { topic: BOOK, data: `n${i}` }));
      for (const sse of [streams[0], streams[2], streams[4]]) {
        expect((await sse.events(20)).map((event) => event.id)).toEqual(ids);
        sse.close();
      }
    } finally {
      await h.close();
    }
  });

  it('disconnect a subscriber of a Nest (Express) app that does not read, without stalling the others', async () => {
    const h = await startNestHub({ anonymous: true, publisherJwt: { key: SECRET }, writeBufferLimit: 64 * 1024, historySize: 0 });
    try {
      const fast = await subscribe(subscribeUrl(h.hubUrl, [BOOK]));
      const slowRes = await new Promise<http.IncomingMessage>((resolve) => {
        http.get(subscribeUrl(h.hubUrl, [BOOK]), { agent: false }, resolve);
      });
      slowRes.pause();
      slowRes.socket.pause();
      expect(h.hub.connectionCount).toBe(2);
      const data = 'x'.repeat(256 * 1024);
      let published = 0;
      while (h.hub.connectionCount > 1 && published < 2000) {
        await h.hub.publish({ topics: [BOOK], data, id: `urn:${published}` });
        expect((await fast.nextEvent()).id).toBe(`urn:${published++}`);
      }
      expect(h.hub.connectionCount).toBe(1);
      await h.hub.publish({ topics: [BOOK], data: 'after', id: 'urn:after' });
      expect((await fast.nextEvent()).id).toBe('urn:after');
      fast.close();
      slowRes.destroy();
    } finally {
      await h.close();
    }
  });
});
