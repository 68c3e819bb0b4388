import * as http from 'http';
import { BareHub, makeToken, publish, publishOk, RecordingLogger, request, SECRET, startBareHub, subscribeUrl } from './helpers';
import { SseConnection, subscribe } from './sse-client';

const BOOK = 'https://example.com/books/1';

async function postRaw(hubUrl: string, body: Buffer | string, contentType = 'application/x-www-form-urlencoded') {
  return request(hubUrl, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Authorization: `Bearer ${await makeToken({ publish: ['*'] })}` },
    body,
  });
}

/** Events received until the marker published now. */
async function untilMarker(hubUrl: string, sse: SseConnection): Promise<{ id: string; data: string }[]> {
  await publishOk(hubUrl, { topic: 'urn:marker', data: 'marker' });
  const seen: { id: string; data: string }[] = [];
  for (;;) {
    const event = await sse.nextEvent();
    if (event.data === 'marker') return seen;
    seen.push({ id: event.id!, data: event.data });
  }
}

describe('Hub: publishing, hardened (real HTTP)', () => {
  let h: BareHub;
  const logger = new RecordingLogger();
  beforeAll(async () => {
    h = await startBareHub({ publisherJwt: { key: SECRET }, anonymous: true, historySize: 10 }, logger);
  });
  beforeEach(() => logger.clear());
  afterAll(() => h.close());

  describe('bodies the hub cannot parse are answered 400, never altered', () => {
    it.each([
      ['a bad percent-encoding', `topic=${encodeURIComponent(BOOK)}&data=100%zz`],
      ['a truncated percent-encoding', `topic=${encodeURIComponent(BOOK)}&data=abc%4`],
      ['percent-encoded bytes that are not UTF-8', `topic=${encodeURIComponent(BOOK)}&data=%C3%28`],
      ['a percent-encoded lone surrogate', `topic=${encodeURIComponent(BOOK)}&data=%ED%A0%80`],
    ])('%s', async (_, body) => {
      const result = await postRaw(h.hubUrl, body);
      expect(result.status).toBe(400);
    });

    it('raw bytes that are not UTF-8', async () => {
      const body = Buffer.concat([Buffer.from(`topic=${encodeURIComponent(BOOK)}&data=caf`), Buffer.from([0xe9])]);
      const result = await postRaw(h.hubUrl, body);
      expect(result.status).toBe(400);
      expect(result.body).toMatch(/UTF-8/);
    });

    it('a charset other than UTF-8', async () => {
      const body = `topic=${encodeURIComponent(BOOK)}&data=caf%E9`;
      const result = await postRaw(h.hubUrl, body, 'application/x-www-form-urlencoded; charset=latin1');
      expect(result.status).toBe(400);
      expect(result.body).toMatch(/UTF-8/);
      const utf8 = await postRaw(h.hubUrl, `topic=${encodeURIComponent(BOOK)}&data=caf%C3%A9`, 'application/x-www-form-urlencoded; charset=UTF-8');
      expect(utf8.status).toBe(200);
    });
  });

  it('a publisher aborting its upload costs at most a debug line', async () => {
    const token = await makeToken({ publish: ['*'] });
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const req = http.request(h.hubUrl, {
          method: 'POST',
          agent: false,
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': '10000',
            Authorization: `Bearer ${token}`,
          },
        });
        req.on('error', () => resolve());
        req.write('topic=urn%3Ax&data=');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 30);
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(logger.at('error')).toEqual([]);
    expect(logger.at('warn')).toEqual([]);
    expect(logger.at('debug')).toEqual(Array(5).fill('A publisher aborted its upload'));
  });

  describe('401s: the reason in a debug line, never the token', () => {
    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ['expired', () => makeToken({ publish: ['*'] }, { exp: now() - 60 }), /expired/],
      ['bad signature', () => makeToken({ publish: ['*'] }, { secret: 'another-secret-another-secret-xx' }), /bad signature/],
      ['wrong algorithm', () => makeToken({ publish: ['*'] }, { alg: 'HS512' }), /wrong algorithm HS512 \(expected HS256\)/],
      ['missing claim', () => makeToken({ subscribe: ['*'] }), /missing publish claim/],
      ['not allowed for this topic', () => makeToken({ publish: ['https://example.com/reviews/{id}'] }), /not allowed to publish to topic "https:\/\/example.com\/books\/1"/],
      ['not before', () => makeToken({ publish: ['*'] }, { nbf: now() + 3600 }), /claim "nbf"/],
    ])('%s', async (_, token, reason) => {
      const jwt = await token();
      const result = await publish(h.hubUrl, { topic: BOOK, data: 'x' }, jwt);
      expect(result.status).toBe(401);
      expect(result.body).toBe('Unauthorized\n');
      const debug = logger.at('debug');
      expect(debug).toHaveLength(1);
      expect(debug[0]).toMatch(reason);
      const everything = JSON.stringify(logger.lines);
      expect(everything).not.toContain(jwt);
      expect(everything).not.toContain(jwt.split('.')[2]);
    });

    it('a subscriber refused: the reason too', async () => {
      const jwt = await makeToken({ subscribe: ['*'] }, { exp: Math.floor(Date.now() / 1000) - 5 });
      const result = await request(subscribeUrl(h.hubUrl, [BOOK]), { headers: { Authorization: `Bearer ${jwt}` } });
      expect(result.status).toBe(401);
      expect(logger.at('debug')[0]).toMatch(/subscriber: token refused: expired/);
      expect(JSON.stringify(logger.lines)).not.toContain(jwt);
    });
  });

  describe('a repeated update id is the same update', () => {
    it('over HTTP: answered 200 with the id, delivered once', async () => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK, 'urn:marker']));
      try {
        const first = await publish(h.hubUrl, { topic: BOOK, data: 'v1', id: 'urn:outbox:1' });
        const again = await publish(h.hubUrl, { topic: BOOK, data: 'v1', id: 'urn:outbox:1' });
        const other = await publish(h.hubUrl, { topic: BOOK, data: 'v2', id: 'urn:outbox:2' });
        expect([first.status, first.body, again.status, again.body, other.status]).toEqual([200, 'urn:outbox:1', 200, 'urn:outbox:1', 200]);
        expect(await untilMarker(h.hubUrl, sse)).toEqual([
          { id: 'urn:outbox:1', data: 'v1' },
          { id: 'urn:outbox:2', data: 'v2' },
        ]);
      } finally {
        sse.close();
      }
    });

    it('in-process and over HTTP share the memory of ids', async () => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, [BOOK, 'urn:marker']));
      try {
        expect(await h.hub.publish({ topics: [BOOK], data: 'p', id: 'urn:outbox:3' })).toBe('urn:outbox:3');
        expect(await h.hub.publish({ topics: [BOOK], data: 'p', id: 'urn:outbox:3' })).toBe('urn:outbox:3');
        expect((await publish(h.hubUrl, { topic: BOOK, data: 'p', id: 'urn:outbox:3' })).body).toBe('urn:outbox:3');
        expect(await untilMarker(h.hubUrl, sse)).toEqual([{ id: 'urn:outbox:3', data: 'p' }]);
      } finally {
        sse.close();
      }
    });

    it('recognizes any of the last 1000 ids (at least historySize), with bounded memory', async () => {
      const sse = await subscribe(subscribeUrl(h.hubUrl, ['urn:marker']));
      try {
        for (let i = 0; i < 3000; i++) await h.hub.publish({ topics: ['urn:churn'], id: `urn:churn:${i}` });
        expect(h.hub.stats().rememberedIds).toBeLessThanOrEqual(2000);
        // Repeats of recent ids (up to 1000 back) are not delivered; the marker is the first event.
        for (const i of [2999, 2500, 2001]) await h.hub.publish({ topics: ['urn:marker'], data: 'repeat', id: `urn:churn:${i}` });
        expect(await untilMarker(h.hubUrl, sse)).toEqual([]);
      } finally {
        sse.close();
      }
    });
  });
});
