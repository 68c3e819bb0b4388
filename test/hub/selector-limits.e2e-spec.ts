import { MAX_TEMPLATES_PER_SUBSCRIPTION } from '../../lib/hub/subscribe';
import { TEMPLATE_STATE_BUDGET } from '../../lib/hub/subscriber-index';
import { BareHub, makeToken, publish, publishOk, SECRET, startBareHub, subscribeUrl } from './helpers';
import { openSse, SseConnection, subscribe } from './sse-client';

const USERS = 'https://example.com/users';

/** The data of the events `sse` receives before the marker published last. */
async function receivedBeforeMarker(hubUrl: string, sse: SseConnection): Promise<string[]> {
  await publishOk(hubUrl, { topic: 'urn:marker', data: 'marker' });
  const seen: string[] = [];
  for (;;) {
    const event = await sse.nextEvent();
    if (event.data === 'marker') return seen;
    seen.push(event.data);
  }
}

describe('Hub: RFC 6570 prefix modifiers limit what a selector matches (real HTTP)', () => {
  let h: BareHub;
  beforeAll(async () => {
    h = await startBareHub({ publisherJwt: { key: SECRET }, anonymous: true });
  });
  afterAll(() => h.close());

  it('a subscriber allowed {id:1} gets the private updates of one-character ids only', async () => {
    const token = await makeToken({ subscribe: [`${USERS}/{id:1}`, 'urn:marker'] });
    const sse = await subscribe(subscribeUrl(h.hubUrl, [`${USERS}/{id}`, 'urn:marker']), {
      Authorization: `Bearer ${token}`,
    });
    try {
      for (const id of ['42', 'alice-private-profile', '7']) {
        await publishOk(h.hubUrl, { topic: `${USERS}/${id}`, data: id, private: 'on' });
      }
      expect(await receivedBeforeMarker(h.hubUrl, sse)).toEqual(['7']);
    } finally {
      sse.close();
    }
  });

  it('a subscriber selecting {id:2} receives ids of at most two characters', async () => {
    const sse = await subscribe(subscribeUrl(h.hubUrl, [`${USERS}/{id:2}`, 'urn:marker']));
    try {
      for (const id of ['1', '12', '123', 'admin-account']) await publishOk(h.hubUrl, { topic: `${USERS}/${id}`, data: id });
      expect(await receivedBeforeMarker(h.hubUrl, sse)).toEqual(['1', '12']);
    } finally {
      sse.close();
    }
  });

  it('a publisher allowed {id:1} may not publish to a longer id', async () => {
    const token = await makeToken({ publish: [`${USERS}/{id:1}`] });
    expect((await publish(h.hubUrl, { topic: `${USERS}/admin-account`, data: 'x' }, token)).status).toBe(401);
    expect((await publish(h.hubUrl, { topic: `${USERS}/42`, data: 'x' }, token)).status).toBe(401);
    expect((await publish(h.hubUrl, { topic: `${USERS}/4`, data: 'x' }, token)).status).toBe(200);
  });
});

describe('Hub: bounded templates, released when their subscribers leave (real HTTP)', () => {
  let h: BareHub;
  beforeAll(async () => {
    h = await startBareHub({ publisherJwt: { key: SECRET }, anonymous: true, maxTemplates: 50 });
  });
  afterAll(() => h.close());

  const templates = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `https://example.com/t${from + i}/{id}`);

  it(`refuses more than ${MAX_TEMPLATES_PER_SUBSCRIPTION} templates in one subscription with a 400`, async () => {
    const result = await openSse(subscribeUrl(h.hubUrl, templates(0, MAX_TEMPLATES_PER_SUBSCRIPTION + 1)));
    expect(result).not.toBeInstanceOf(SseConnection);
    expect((result as { status: number }).status).toBe(400);
    expect((result as { body: string }).body).toMatch(/Too many URI templates/);
  });

  it('refuses a selector longer than the limit with a 400', async () => {
    const result = await openSse(subscribeUrl(h.hubUrl, [`https://example.com/${'x'.repeat(1100)}/{id}`]));
    expect((result as { status: number }).status).toBe(400);
  });

  it('answers 429 past maxTemplates, still takes templates already in use, and releases them all at the end', async () => {
    const base = h.hub.stats();
    const open: SseConnection[] = [];
    try {
      for (let i = 0; i < 5; i++) open.push(await subscribe(subscribeUrl(h.hubUrl, templates(i * 10, 10))));
      expect(h.hub.stats().templates).toBe(50);
      expect(h.hub.stats().retainedTemplates).toBe(50);

      const refused = await openSse(subscribeUrl(h.hubUrl, templates(50, 1)));
      expect((refused as { status: number }).status).toBe(429);
      expect((refused as { body: string }).body).toMatch(/maxTemplates/);
      expect(h.hub.stats().retainedTemplates).toBe(50);

      // A template already followed costs nothing more: accepted.
      open.push(await subscribe(subscribeUrl(h.hubUrl, templates(0, 10))));
      // Exact topics are not counted.
      open.push(await subscribe(subscribeUrl(h.hubUrl, ['https://example.com/exact/1'])));

      // Delivery still right through the prefix index.
      const sse = open[2];
      await publishOk(h.hubUrl, { topic: 'https://example.com/t25/9', data: 'hit' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/t25/9/x', data: 'miss' });
      await publishOk(h.hubUrl, { topic: 'https://example.com/t21/3', data: 'hit2' });
      expect((await sse.nextEvent()).data).toBe('hit');
      expect((await sse.nextEvent()).data).toBe('hit2');
    } finally {
      for (const sse of open) sse.close();
    }
    await waitFor(() => h.hub.stats().connections === 0);
    const after = h.hub.stats();
    expect(after.templates).toBe(base.templates);
    expect(after.retainedTemplates).toBe(0);
    expect(after.retainedStates).toBe(0);
    // Room again for new templates.
    const again = await subscribe(subscribeUrl(h.hubUrl, templates(100, 50)));
    again.close();
  });
});

describe('Hub: a budget for the size of compiled templates (real HTTP)', () => {
  let h: BareHub;
  beforeAll(async () => {
    h = await startBareHub({ anonymous: true, maxTemplates: 1000 });
  });
  afterAll(() => h.close());

  it('answers 429 once the subscribed templates would compile past the budget, and frees it all', async () => {
    // `{a:2000}` unrolls into about 12,000 states: some 330 of them fill the 4-million budget.
    const big = (i: number) => `https://example.com/t${i}/{a:2000}`;
    const open: SseConnection[] = [];
    let refused: { status: number; body: string } | undefined;
    try {
      for (let c = 0; c < 5 && !refused; c++) {
        const result = await openSse(subscribeUrl(h.hubUrl, Array.from({ length: 100 }, (_, i) => big(c * 100 + i))));
        if (result instanceof SseConnection) {
          await result.nextComment();
          open.push(result);
        } else {
          refused = result;
        }
      }
      expect(refused?.status).toBe(429);
      expect(refused?.body).toMatch(/too many large URI templates/);
      expect(h.hub.stats().retainedStates).toBeLessThanOrEqual(TEMPLATE_STATE_BUDGET);
      expect(open.length).toBe(3);
    } finally {
      for (const sse of open) sse.close();
    }
    await waitFor(() => h.hub.stats().connections === 0);
    expect(h.hub.stats()).toMatchObject({ templates: 0, retainedTemplates: 0, retainedStates: 0 });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('condition not met in 2 s');
}
