import { resolveHubAuthorizations } from '../../lib/authorization/hub-authorization';
import { MercureAuthorization } from '../../lib/authorization/mercure-authorization';
import { resolveMercureOptions } from '../../lib/mercure-options.resolver';
import { createHubRegistry } from '../../lib/mercure.providers';
import { createTokenProvider } from '../../lib/publisher/token-provider';
import { matchUrl } from './access-token';
import { BareHub, publish, SECRET, startBareHub } from './helpers';
import { subscribe } from './sse-client';

/** The library's own 1.0 token factories against the embedded hub in 1.0 mode, over HTTP. */
describe("The library's 1.0 tokens on a 1.0 hub (real HTTP and SSE)", () => {
  const issuer = 'https://api.example';
  // The hub's public URL (behind a proxy, say): its resource identifier, whatever it listens on.
  const audience = 'https://api.example/.well-known/mercure';
  let hub: BareHub;

  beforeAll(async () => {
    hub = await startBareHub({ protocol: '1.0', issuer, audience, publisherJwt: { key: SECRET } });
  });
  afterAll(() => hub.close());

  it('publisher tokens (createTokenProvider) and subscriber tokens (MercureAuthorization) are accepted', async () => {
    const resolved = resolveMercureOptions(
      { baseUrl: 'https://api.example', publishUrl: hub.hubUrl, subscribeUrl: audience, jwt: { secret: SECRET, publish: ['https://api.example/notes/1'] }, protocol: '1.0', issuer },
      {},
    );
    expect(resolved.hubs[0].accessToken).toEqual({ issuer, audience });
    const publisher = createTokenProvider(resolved.hubs[0].jwt, 'jwt', resolved.hubs[0].accessToken)!;
    const service = new MercureAuthorization(resolveHubAuthorizations({}, resolved, createHubRegistry(resolved)), resolved.defaultHub, resolved.baseUrl);
    const subscriberToken = await service.createSubscriberToken({ subscribe: ['/notes/1'] });

    const sse = await subscribe(matchUrl(hub.hubUrl, [['match', 'https://api.example/notes/1']]), {
      Authorization: `Bearer ${subscriberToken}`,
    });
    const token = await publisher();
    expect((await publish(hub.hubUrl, { topic: 'https://api.example/notes/1', data: 'private note', private: 'on' }, token)).status).toBe(200);
    expect((await publish(hub.hubUrl, { topic: 'https://api.example/notes/2', data: 'x' }, token)).status).toBe(403);
    expect((await sse.nextEvent()).data).toBe('private note');
    sse.close();
  });
});
