import * as http from 'http';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { MERCURE_LOCAL_HUB } from '../../lib/mercure.constants';
import { HubDeliveryError } from '../../lib/publisher/publish-transport';
import type { LocalHub } from '../../lib/publisher/local-hub';
import { Update } from '../../lib/publisher/update';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import { MercureHubConfigError, MercureHubModuleOptions } from '../../lib/hub/mercure-hub.options';
import { makeToken, publish, publishOk, request, SECRET, startBareHub, startNestHub, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

describe('MercureHubModule in a Nest app', () => {
  it('mounts at the well-known path whatever the global prefix, and leaves other routes and body parsing alone', async () => {
    const h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true }, { globalPrefix: 'api' });
    try {
      expect(h.hubUrl).toBe(`${h.baseUrl}/.well-known/mercure`);
      const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]));
      await publishOk(h.hubUrl, { topic: BOOK, data: 'hi' });
      expect((await sse.nextEvent()).data).toBe('hi');
      sse.close();
      const json = await request(`${h.baseUrl}/api/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(JSON.parse(json.body)).toEqual({ received: { a: 1 } });
      const formEcho = await request(`${h.baseUrl}/api/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'topic=x&topic=y',
      });
      expect(JSON.parse(formEcho.body)).toEqual({ received: { topic: ['x', 'y'] } });
      expect((await request(`${h.baseUrl}/.well-known/mercure/other`)).status).toBe(404);
      expect((await request(`${h.baseUrl}/api/nothing`)).status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it('mounts at a custom path', async () => {
    const h = await startNestHub({ path: '/hub', publisherJwt: { key: SECRET }, anonymous: true });
    try {
      expect(h.hubUrl).toBe(`${h.baseUrl}/hub`);
      expect((await publish(h.hubUrl, { topic: BOOK })).status).toBe(200);
      expect((await request(`${h.baseUrl}/.well-known/mercure?topic=x`)).status).toBe(404);
    } finally {
      await h.close();
    }
  });

  it.each([
    ['rawBody: true', { rawBody: true }],
    ['bodyParser: false', { bodyParser: false }],
  ])('publishes with %s', async (_name, appOptions) => {
    const h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true }, appOptions);
    try {
      const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK]));
      expect((await publish(h.hubUrl, { topic: BOOK, data: 'a&b=c' })).status).toBe(200);
      expect((await sse.nextEvent()).data).toBe('a&b=c');
      sse.close();
    } finally {
      await h.close();
    }
  });

  it('supports forRootAsync with useFactory and inject', async () => {
    @Injectable()
    class Config {
      readonly secret = SECRET;
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    const h = await startNestHub(
      MercureHubModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (config: Config) => ({ publisherJwt: { key: config.secret }, anonymous: true }),
      }),
    );
    try {
      expect((await publish(h.hubUrl, { topic: BOOK })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('supports forRootAsync with useClass', async () => {
    @Injectable()
    class HubOptions {
      createMercureHubOptions(): MercureHubModuleOptions {
        return { publisherJwt: { key: SECRET }, anonymous: true, path: '/async-hub' };
      }
    }
    const h = await startNestHub(MercureHubModule.forRootAsync({ useClass: HubOptions }));
    try {
      expect(h.hub.path).toBe('/async-hub');
      expect((await publish(h.hubUrl, { topic: BOOK })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  describe('in-process publishing (MERCURE_LOCAL_HUB)', () => {
    it('provides a LocalHub that publishes without HTTP nor token, with the same semantics', async () => {
      const h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true });
      try {
        const local = h.app.get<LocalHub>(MERCURE_LOCAL_HUB);
        expect(local).toBe(h.hub);
        expect(local.path).toBe('/.well-known/mercure');
        const anonymous = await subscribe(subscribeUrl(h.hubUrl, [BOOK]));
        const authorized = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), {
          Authorization: `Bearer ${await makeToken({ subscribe: [BOOK] })}`,
        });
        const id = await local.publish(new Update(BOOK, 'private\ndata', { private: true, type: 't', retry: 10 }));
        expect(id).toMatch(/^urn:uuid:/);
        await local.publish(new Update([BOOK, 'urn:alt'], 'public', { id: 'urn:given' }));
        expect(await authorized.events(2)).toEqual([
          { kind: 'event', id, event: 't', retry: 10, data: 'private\ndata' },
          { kind: 'event', id: 'urn:given', data: 'public' },
        ]);
        expect(await anonymous.nextEvent()).toEqual({ kind: 'event', id: 'urn:given', data: 'public' });
        // Replay sees in-process updates like the others.
        const replay = await subscribe(subscribeUrl(h.hubUrl, [BOOK]), { 'Last-Event-ID': id });
        expect((await replay.nextEvent()).id).toBe('urn:given');
        for (const s of [anonymous, authorized, replay]) s.close();
      } finally {
        await h.close();
      }
    });

    it.each([
      ['an id starting with #', new Update(BOOK, '', { id: '#1' })],
      ['an id with a line break', new Update(BOOK, '', { id: 'a\nb' })],
      ['a type with a line break', new Update(BOOK, '', { type: 'a\rb' })],
      ['a negative retry', new Update(BOOK, '', { retry: -1 })],
      ['a non-integer retry', new Update(BOOK, '', { retry: 1.5 })],
      ['an empty topic', new Update('', '')],
      ['1001 topics', new Update(Array.from({ length: 1001 }, (_, i) => `urn:${i}`), '')],
    ])('rejects %s with HubDeliveryError(400, not retryable)', async (_name, update) => {
      const hub = new MercureHub({ anonymous: true });
      try {
        const error = await hub.publish(update).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(HubDeliveryError);
        expect(error).toMatchObject({ status: 400, retryable: false });
      } finally {
        await hub.close();
      }
    });

    it('works in an application context without HTTP', async () => {
      @Module({ imports: [MercureHubModule.forRoot({ anonymous: true })] })
      class ContextModule {}
      const context = await NestFactory.createApplicationContext(ContextModule, { logger: false });
      try {
        const local = context.get<LocalHub>(MERCURE_LOCAL_HUB);
        expect(await local.publish(new Update(BOOK, 'x', { id: 'urn:ctx' }))).toBe('urn:ctx');
      } finally {
        await context.close();
      }
    });
  });

  describe('configuration errors fail at start-up, naming the option and never the key', () => {
    const secret = 'top-secret-value-that-must-not-leak';
    it.each([
      ['path', { path: 'no-slash', anonymous: true }, /path/],
      ['publisherJwt.algorithm', { publisherJwt: { key: secret, algorithm: 'none' as never } }, /publisherJwt\.algorithm/],
      ['publisherJwt.key (PEM for HMAC)', { publisherJwt: { key: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----' } }, /publisherJwt\.key/],
      ['subscriberJwt.key (secret for RS256)', { publisherJwt: { key: secret }, subscriberJwt: { key: secret, algorithm: 'RS256' as const } }, /subscriberJwt\.key/],
      ['anonymous without keys', {}, /anonymous/],
      ['cors.origins', { anonymous: true, cors: { origins: ['https://example.com/path'] } }, /cors\.origins/],
      ['publishOrigins', { anonymous: true, publishOrigins: ['example.com'] }, /publishOrigins/],
      ['heartbeat', { anonymous: true, heartbeat: -1 }, /heartbeat/],
      ['historySize', { anonymous: true, historySize: 1.5 }, /historySize/],
      ['maxBodySize', { anonymous: true, maxBodySize: 0 }, /maxBodySize/],
      ['writeBufferLimit', { anonymous: true, writeBufferLimit: -5 }, /writeBufferLimit/],
      ['transport', { anonymous: true, transport: 'kafka' as never }, /transport/],
      ['transport.url', { anonymous: true, transport: { type: 'redis' as const, url: 'http://nope' } }, /transport\.url/],
      ['a misspelled option', { anonymous: true, hearbeat: 1000 }, /unknown option `hearbeat`/],
      ['a misspelled publisherJwt option', { publisherJwt: { key: secret, algo: 'HS256' } }, /unknown option `publisherJwt\.algo`/],
      ['a misspelled cors option', { anonymous: true, cors: { origin: '*' } }, /unknown option `cors\.origin`/],
      ['a misspelled transport option', { anonymous: true, transport: { type: 'redis', url: 'redis://x', host: 'y' } }, /unknown option `transport\.host`/],
      ['maxTemplates', { anonymous: true, maxTemplates: 0 }, /maxTemplates/],
      ['mount', { anonymous: true, mount: 'express' as never }, /mount must be one of 'server', 'framework'/],
      ['mount (not a string)', { anonymous: true, mount: true as never }, /mount must be one of/],
    ])('%s', async (_name, options, message) => {
      const moduleRef = Test.createTestingModule({ imports: [MercureHubModule.forRoot(options as MercureHubModuleOptions)] });
      const error = await moduleRef.compile().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MercureHubConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(secret);
    });
  });

  describe('shutdown', () => {
    it('app.close() ends every stream and returns', async () => {
      const h = await startNestHub({ publisherJwt: { key: SECRET }, anonymous: true });
      const streams = await Promise.all(Array.from({ length: 20 }, () => subscribe(subscribeUrl(h.hubUrl, [BOOK]))));
      expect(h.hub.connectionCount).toBe(20);
      await h.close();
      await Promise.all(streams.map((s) => s.ended));
      expect(streams.every((s) => s.isClosed)).toBe(true);
      expect(h.hub.connectionCount).toBe(0);
      const error = await h.hub.publish({ topics: [BOOK] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503 });
    });

    it('answers 503 to subscribers once closing', async () => {
      const bare = await startBareHub({ anonymous: true });
      await bare.hub.closeConnections();
      expect((await request(subscribeUrl(bare.hubUrl, [BOOK]))).status).toBe(503);
      await bare.close();
    });
  });

  describe('slow subscribers', () => {
    it('disconnects a subscriber that does not read, without stalling the others', async () => {
      const bare = await startBareHub({ anonymous: true, publisherJwt: { key: SECRET }, writeBufferLimit: 64 * 1024, historySize: 0 });
      try {
        const fast = await subscribe(subscribeUrl(bare.hubUrl, [BOOK]));
        // A subscriber that never reads its response: its socket buffers fill up.
        const slowRes = await new Promise<http.IncomingMessage>((resolve) => {
          http.get(subscribeUrl(bare.hubUrl, [BOOK]), { agent: false }, resolve);
        });
        slowRes.pause();
        slowRes.socket.pause();
        expect(bare.hub.connectionCount).toBe(2);
        const data = 'x'.repeat(256 * 1024);
        let published = 0;
        let received = 0;
        while (bare.hub.connectionCount > 1 && published < 2000) {
          await bare.hub.publish({ topics: [BOOK], data, id: `urn:${published}` });
          published++;
          const event = await fast.nextEvent(); // the fast subscriber gets every update, in order
          expect(event.id).toBe(`urn:${received++}`);
        }
        expect(bare.hub.connectionCount).toBe(1);
        await bare.hub.publish({ topics: [BOOK], data: 'after', id: 'urn:after' });
        expect((await fast.nextEvent()).id).toBe('urn:after');
        fast.close();
        slowRes.destroy();
      } finally {
        await bare.close();
      }
    });
  });
});

describe('The hub on a bare node:http server', () => {
  it('serves publish and subscribe, and answers 404 elsewhere', async () => {
    const bare = await startBareHub({ anonymous: true, publisherJwt: { key: SECRET } });
    try {
      const sse = await subscribe(subscribeUrl(bare.hubUrl, ['https://example.com/books/{id}']));
      expect((await publish(bare.hubUrl, { topic: BOOK, data: 'bare' })).status).toBe(200);
      expect((await sse.nextEvent()).data).toBe('bare');
      expect((await request(`${bare.baseUrl}/elsewhere`)).status).toBe(404);
      sse.close();
    } finally {
      await bare.close();
    }
  });
});
