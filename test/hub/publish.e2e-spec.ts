import { generateKeyPairSync, KeyObject } from 'crypto';
import { SignJWT } from 'jose';
import {
  makeToken,
  NestHub,
  publish,
  publishOk,
  request,
  SECRET,
  startNestHub,
  subscribeUrl,
  unsignedToken,
} from './helpers';
import { subscribe } from './sse-client';

const TOPIC = 'https://example.com/books/1';

describe('Publishing (Nest app, real HTTP)', () => {
  let h: NestHub;

  beforeAll(async () => {
    h = await startNestHub({
      publisherJwt: { key: SECRET },
      anonymous: true,
      publishOrigins: ['https://app.example.com'],
      maxBodySize: 256 * 1024,
    });
  });
  afterAll(() => h.close());

  describe('success', () => {
    it('answers 200 with a generated urn:uuid id as text/plain', async () => {
      const result = await publish(h.hubUrl, { topic: TOPIC, data: 'hello' });
      expect(result.status).toBe(200);
      expect(result.headers['content-type']).toMatch(/^text\/plain/);
      expect(result.body).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('keeps the id given by the publisher', async () => {
      const result = await publish(h.hubUrl, { topic: TOPIC, id: 'https://example.com/revisions/42' });
      expect(result.status).toBe(200);
      expect(result.body).toBe('https://example.com/revisions/42');
    });

    it('delivers every field: topics, data, private, id, type, retry', async () => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, ['https://example.com/alternate/1']), {
        Authorization: `Bearer ${await makeToken({ subscribe: ['*'] })}`,
      });
      const id = await publishOk(h.hubUrl, {
        topic: [TOPIC, 'https://example.com/alternate/1'],
        data: '{\n  "a": 1\n}',
        private: 'on',
        id: 'urn:my-id',
        type: 'book-updated',
        retry: '2500',
      });
      expect(id).toBe('urn:my-id');
      expect(await sse.nextEvent()).toEqual({
        kind: 'event',
        id: 'urn:my-id',
        event: 'book-updated',
        retry: 2500,
        data: '{\n  "a": 1\n}',
      });
      expect(sse.raw).toContain('event: book-updated\nretry: 2500\nid: urn:my-id\ndata: {\ndata:   "a": 1\ndata: }\n\n');
      sse.close();
    });

    it('accepts an empty data field and a missing one', async () => {
      expect((await publish(h.hubUrl, { topic: TOPIC, data: '' })).status).toBe(200);
      expect((await publish(h.hubUrl, { topic: TOPIC })).status).toBe(200);
    });

    it('reads bodies larger than the default Nest body-parser limit (the hub reads its own body)', async () => {
      const data = 'x'.repeat(200 * 1024);
      const sse = await subscribe(subscribeUrl(h.hubUrl, [TOPIC]));
      expect((await publish(h.hubUrl, { topic: TOPIC, data })).status).toBe(200);
      expect((await sse.nextEvent()).data).toBe(data);
      sse.close();
    });

    it('accepts exactly 1000 topics', async () => {
      const topics = Array.from({ length: 1000 }, (_, i) => `https://example.com/t/${i}`);
      expect((await publish(h.hubUrl, { topic: topics })).status).toBe(200);
    });
  });

  describe('validation', () => {
    it.each([
      ['no topic', { data: 'x' }],
      ['an empty topic', { topic: '' }],
      ['a non-numeric retry', { topic: TOPIC, retry: 'soon' }],
      ['a negative retry', { topic: TOPIC, retry: '-5' }],
      ['a decimal retry', { topic: TOPIC, retry: '1.5' }],
      ['an id with LF', { topic: TOPIC, id: 'a\nb' }],
      ['an id with CR', { topic: TOPIC, id: 'a\rb' }],
      ['an id with CRLF', { topic: TOPIC, id: 'a\r\nretry: 1' }],
      ['a type with LF', { topic: TOPIC, type: 'a\nb' }],
      ['a type with CR', { topic: TOPIC, type: 'a\rb' }],
      ['an id starting with #', { topic: TOPIC, id: '#fragment' }],
      ['1001 topics', { topic: Array.from({ length: 1001 }, (_, i) => `https://example.com/t/${i}`) }],
    ])('answers 400 for %s', async (_name, fields) => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, ['*']));
      const result = await publish(h.hubUrl, fields);
      expect(result.status).toBe(400);
      // Nothing was dispatched: the next event is the marker.
      await publishOk(h.hubUrl, { topic: 'urn:marker', data: 'marker' });
      expect((await sse.nextEvent()).data).toBe('marker');
      sse.close();
    });

    it('answers 400 when the body is not a form', async () => {
      const result = await request(h.hubUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await makeToken({ publish: ['*'] })}` },
        body: JSON.stringify({ topic: TOPIC }),
      });
      expect(result.status).toBe(400);
    });

    it('answers 413 when the body is larger than maxBodySize', async () => {
      const result = await publish(h.hubUrl, { topic: TOPIC, data: 'x'.repeat(300 * 1024) });
      expect(result.status).toBe(413);
    });
  });

  describe('authorization failures: 401', () => {
    const cases: [string, () => Promise<Record<string, string>>][] = [
      ['no token at all', async () => ({})],
      ['a non-Bearer Authorization header', async () => ({ Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })],
      ['a malformed token', async () => ({ Authorization: 'Bearer not.a.jwt' })],
      ['a token signed with another key', async () => ({ Authorization: `Bearer ${await makeToken({ publish: ['*'] }, { secret: 'another-secret-another-secret-!!' })}` })],
      ['a token with alg none', async () => ({ Authorization: `Bearer ${unsignedToken({ publish: ['*'] })}` })],
      ['a token signed with another algorithm (HS512)', async () => ({ Authorization: `Bearer ${await makeToken({ publish: ['*'] }, { alg: 'HS512' })}` })],
      ['an expired token', async () => ({ Authorization: `Bearer ${await makeToken({ publish: ['*'] }, { exp: Math.floor(Date.now() / 1000) - 60 })}` })],
      ['a token not valid yet (nbf)', async () => ({ Authorization: `Bearer ${await makeToken({ publish: ['*'] }, { nbf: Math.floor(Date.now() / 1000) + 3600 })}` })],
      ['a token without the mercure claim', async () => ({ Authorization: `Bearer ${await makeToken(undefined)}` })],
      ['a token without mercure.publish', async () => ({ Authorization: `Bearer ${await makeToken({ subscribe: ['*'] })}` })],
      ['an empty mercure.publish', async () => ({ Authorization: `Bearer ${await makeToken({ publish: [] })}` })],
      ['a mercure.publish that is not an array', async () => ({ Authorization: `Bearer ${await makeToken({ publish: '*' })}` })],
      ['selectors that do not match the topic', async () => ({ Authorization: `Bearer ${await makeToken({ publish: ['https://example.com/reviews/{id}'] })}` })],
      ['selectors that match only one of the topics', async () => ({ Authorization: `Bearer ${await makeToken({ publish: [TOPIC] })}`, 'X-Alternate': '1' })],
      ['a valid cookie without Origin nor Referer', async () => ({ Cookie: `mercureAuthorization=${await makeToken({ publish: ['*'] })}` })],
      ['a valid cookie from another origin', async () => ({ Cookie: `mercureAuthorization=${await makeToken({ publish: ['*'] })}`, Origin: 'https://evil.example.com' })],
      ['a valid cookie with a Referer from another origin', async () => ({ Cookie: `mercureAuthorization=${await makeToken({ publish: ['*'] })}`, Referer: 'https://evil.example.com/page' })],
      ['an invalid header even with a valid query token (the header wins)', async () => ({ Authorization: 'Bearer invalid', 'X-Query-Token': await makeToken({ publish: ['*'] }) })],
    ];

    it.each(cases)('%s', async (_name, makeHeaders) => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, ['*']));
      const headers = await makeHeaders();
      const topics = headers['X-Alternate'] ? [TOPIC, 'https://example.com/other/1'] : [TOPIC];
      let url = h.hubUrl;
      if (headers['X-Query-Token']) url += `?authorization=${encodeURIComponent(headers['X-Query-Token'])}`;
      const result = await publish(url, { topic: topics, data: 'should not be sent' }, null, headers);
      expect(result.status).toBe(401);
      await publishOk(h.hubUrl, { topic: 'urn:marker', data: 'marker' });
      expect((await sse.nextEvent()).data).toBe('marker');
      sse.close();
    });
  });

  describe('authorization successes', () => {
    it('takes the token from the authorization query parameter', async () => {
      const token = await makeToken({ publish: ['*'] });
      const result = await publish(`${h.hubUrl}?authorization=${encodeURIComponent(token)}`, { topic: TOPIC }, null);
      expect(result.status).toBe(200);
    });

    it('takes the token from the cookie when the Origin is allowed', async () => {
      const token = await makeToken({ publish: ['*'] });
      const result = await publish(h.hubUrl, { topic: TOPIC }, null, {
        Cookie: `other=1; mercureAuthorization=${token}`,
        Origin: 'https://app.example.com',
      });
      expect(result.status).toBe(200);
    });

    it('takes the origin from the Referer when there is no Origin', async () => {
      const token = await makeToken({ publish: ['*'] });
      const result = await publish(h.hubUrl, { topic: TOPIC }, null, {
        Cookie: `mercureAuthorization=${token}`,
        Referer: 'https://app.example.com/some/page',
      });
      expect(result.status).toBe(200);
    });

    it('prefers the header to an invalid cookie', async () => {
      const result = await publish(h.hubUrl, { topic: TOPIC }, undefined, { Cookie: 'mercureAuthorization=invalid' });
      expect(result.status).toBe(200);
    });

    it('authorizes topics with exact selectors and URI templates', async () => {
      const token = await makeToken({ publish: ['https://example.com/books/{id}', 'https://example.com/exact'] });
      expect((await publish(h.hubUrl, { topic: [TOPIC, 'https://example.com/exact'] }, token)).status).toBe(200);
      expect((await publish(h.hubUrl, { topic: 'https://example.com/books/1/reviews' }, token)).status).toBe(401);
    });
  });
});

describe('Publishing with RSA and EC keys', () => {
  it.each([
    ['RS256', 'rsa', {}],
    ['PS256', 'rsa', {}],
    ['ES256', 'ec', { namedCurve: 'P-256' }],
    ['EdDSA', 'ed25519', {}],
  ] as const)('verifies %s tokens with the public key and refuses the HMAC confusion', async (alg, type, params) => {
    const { publicKey, privateKey } = generateKeyPairSync(type as 'rsa', { modulusLength: 2048, ...params } as never) as unknown as {
      publicKey: KeyObject;
      privateKey: KeyObject;
    };
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const h = await startNestHub({ publisherJwt: { key: pem, algorithm: alg }, anonymous: true });
    try {
      const good = await new SignJWT({ mercure: { publish: ['*'] } }).setProtectedHeader({ alg }).sign(privateKey);
      expect((await publish(h.hubUrl, { topic: TOPIC }, good)).status).toBe(200);
      // The classic attack: HS256 "signed" with the public key as the secret.
      const confused = await makeToken({ publish: ['*'] }, { secret: pem });
      expect((await publish(h.hubUrl, { topic: TOPIC }, confused)).status).toBe(401);
      expect((await publish(h.hubUrl, { topic: TOPIC }, await makeToken({ publish: ['*'] }))).status).toBe(401);
    } finally {
      await h.close();
    }
  });
});
