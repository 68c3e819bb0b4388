/**
 * The hub on a plain Fastify server (no Nest adapter): mounted from an `onRequest` hook that hands
 * its path's raw request and response to `hub.handle`, as `bench/hub.bench.ts` measures it.
 */
import type { AddressInfo } from 'net';
import fastify from 'fastify';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { publishOk, request, SECRET, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

describe('The hub mounted on a plain Fastify server', () => {
  it('streams published updates, reads its own publish bodies and leaves other routes to Fastify', async () => {
    const hub = new MercureHub({ anonymous: true, publisherJwt: { key: SECRET }, logger: { warn: () => undefined, error: () => undefined } });
    await hub.start();
    const app = fastify({ logger: false });
    app.addHook('onRequest', (req, reply, done) => {
      if (!req.url.startsWith(hub.path)) return done();
      reply.hijack();
      hub.handle(req.raw, reply.raw);
    });
    app.post('/echo', async (req) => ({ received: req.body }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const sse = await subscribe(subscribeUrl(baseUrl + hub.path, [BOOK]));
      const ids = [await publishOk(baseUrl + hub.path, { topic: BOOK, data: 'one' }), await publishOk(baseUrl + hub.path, { topic: BOOK, data: 'two' })];
      const events = await sse.events(2);
      expect(events.map((event) => [event.id, event.data])).toEqual([
        [ids[0], 'one'],
        [ids[1], 'two'],
      ]);
      sse.close();
      const echo = await request(`${baseUrl}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
      expect(JSON.parse(echo.body)).toEqual({ received: { a: 1 } });
    } finally {
      await hub.closeConnections();
      await app.close();
      await hub.close();
    }
  });
});
