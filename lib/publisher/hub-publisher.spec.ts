import { spawnSync } from 'child_process';
import { join } from 'path';
import type { LoggerService } from '@nestjs/common';
import { HttpTransport } from './http-transport';
import { accept, FakeHub, startFakeHub } from '../../test/support/fake-hub';
import { HubPublisher } from './hub-publisher';
import { PublishQueue } from './publish-queue';
import { HubDeliveryError } from './publish-transport';
import { createTokenProvider } from './token-provider';
import { Update } from './update';

const SECRET = '!ChangeThisMercureHubJWTSecretKey!';

describe('HubPublisher', () => {
  let hub: FakeHub;
  let publisher: HubPublisher;
  let logger: { [K in 'log' | 'error' | 'warn']: jest.Mock } & LoggerService;

  beforeEach(async () => {
    hub = await startFakeHub();
    logger = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
    const transport = new HttpTransport({ url: hub.url, token: createTokenProvider({ secret: SECRET }, 'jwt') });
    publisher = new HubPublisher(
      'default',
      'https://hub.example.com/.well-known/mercure',
      new PublishQueue(transport, { hubName: 'default', retryDelay: 1, logger }),
    );
  });

  afterEach(async () => {
    await publisher.close();
    await hub.close();
  });

  it('exposes its name and subscribe URL', () => {
    expect(publisher.name).toBe('default');
    expect(publisher.subscribeUrl).toBe('https://hub.example.com/.well-known/mercure');
  });

  it('publish resolves with the id the hub assigned', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(200);
      res.end('urn:uuid:from-hub');
    };
    await expect(publisher.publish(new Update('https://example.com/books/1', '{}'))).resolves.toBe('urn:uuid:from-hub');
    expect(hub.requests).toHaveLength(1);
  });

  it('publish rejects with the HubDeliveryError when the hub refuses', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(401);
      res.end('Unauthorized');
    };
    await expect(publisher.publish(new Update('t'))).rejects.toMatchObject({ name: 'HubDeliveryError', status: 401 });
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('dispatch delivers in the background; drain waits for it', async () => {
    hub.handler = accept;
    publisher.dispatch(new Update('t', 'one'));
    publisher.dispatch(new Update('t', 'two'));
    expect(publisher.pending).toBe(2);
    await expect(publisher.drain(5000)).resolves.toBe(true);
    expect(hub.requests.map((r) => r.fields.find(([k]) => k === 'data')?.[1])).toEqual(['one', 'two']);
  });

  it('dispatch failures are logged once by the queue', async () => {
    hub.handler = (_req, res) => {
      res.writeHead(400);
      res.end('Missing "topic" parameter');
    };
    publisher.dispatch(new Update('t', 'x'));
    await expect(publisher.drain(5000)).resolves.toBe(true);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toContain('Missing "topic" parameter');
  });

  it('dispatch (and a publish or enqueue whose promise is dropped) leaves no unhandled rejection, however the update is given up', () => {
    // In its own process: Jest's environment keeps unhandled rejections from process listeners,
    // and --unhandled-rejections=strict makes one fail the process.
    const result = spawnSync(
      process.execPath,
      ['--unhandled-rejections=strict', '-r', 'ts-node/register/transpile-only', join(__dirname, '../../test/fixtures/publisher-rejections.ts')],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '../../tsconfig.json') } },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Through HubPublisher: refused by the hub three times, two refused after close. The queue
    // alone: refused by the hub, retries exhausted (twice), over maxPending (5); waiting for a retry
    // or for a turn at close (2); one refused after close (not counted as given up).
    expect(JSON.parse(result.stdout)).toEqual({
      publisher: { pending: 0, delivered: 0, givenUp: 3 },
      quick: { pending: 0, delivered: 0, givenUp: 5 },
      slow: { pending: 0, delivered: 0, givenUp: 2 },
      refusedAfterClose: 3,
    });
  });

  it('refuses updates once closed, and logs each refusal (dispatch included)', async () => {
    await publisher.close();
    await expect(publisher.publish(new Update('t'))).rejects.toBeInstanceOf(HubDeliveryError);
    publisher.dispatch(new Update('u', 'data'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.warn.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining('topic "t" refused'),
      expect.stringContaining('topic "u" refused'),
    ]);
  });

  it('runs the before-enqueue hooks first, until removed', () => {
    hub.handler = accept;
    const order: string[] = [];
    const remove = publisher.beforeEnqueue(() => order.push('hook'));
    publisher.dispatch(new Update('t', 'one'));
    void publisher.publish(new Update('t', 'two'));
    remove();
    publisher.dispatch(new Update('t', 'three'));
    expect(order).toEqual(['hook', 'hook']);
  });
});
