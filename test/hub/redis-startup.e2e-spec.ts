import * as net from 'net';
import type { AddressInfo } from 'net';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { MercureHubConfigError } from '../../lib/hub/mercure-hub.options';
import { RecordingLogger } from './helpers';

const PASSWORD = 'hunter2-redis-password';

async function startFailure(url: string, connectTimeout?: number) {
  const logger = new RecordingLogger();
  const hub = new MercureHub({
    anonymous: true,
    transport: { type: 'redis', url, ...(connectTimeout !== undefined && { connectTimeout }) },
    logger,
  });
  const started = Date.now();
  const error = (await hub.start().catch((e: unknown) => e)) as Error;
  const elapsed = Date.now() - started;
  await hub.close();
  return { error, elapsed, logger };
}

/** These need no Redis: they are about Redis being absent. */
describe('Redis transport start-up without a reachable Redis', () => {
  it('fails at once with a clear error naming the option, never the password', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { error, elapsed, logger } = await startFailure(`redis://:${PASSWORD}@127.0.0.1:${port}/0`);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/could not reach Redis \(transport\.url\): ECONNREFUSED/);
    expect(error.message).not.toContain(PASSWORD);
    expect(elapsed).toBeLessThan(5000); // not ioredis's minute of retries
    expect(logger.lines).toEqual([]);
  });

  it('gives up after connectTimeout when Redis does not answer', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const { error, logger } = await startFailure(`redis://:${PASSWORD}@127.0.0.1:${port}`, 300);
      expect(error.message).toMatch(/could not reach Redis \(transport\.url\): no answer within 300 ms/);
      expect(error.message).not.toContain(PASSWORD);
      expect(logger.at('warn')).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('without ioredis installed, says to install it', async () => {
    let hub: MercureHub | undefined;
    let ConfigError: typeof MercureHubConfigError | undefined;
    // ioredis is a dev dependency here: its absence is simulated for this one require.
    jest.isolateModules(() => {
      jest.doMock('ioredis', () => {
        throw Object.assign(new Error("Cannot find module 'ioredis'"), { code: 'MODULE_NOT_FOUND' });
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require('../../lib/hub/mercure-hub') as typeof import('../../lib/hub/mercure-hub');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ConfigError = (require('../../lib/hub/mercure-hub.options') as typeof import('../../lib/hub/mercure-hub.options'))
        .MercureHubConfigError;
      hub = new isolated.MercureHub({ anonymous: true, transport: { type: 'redis', url: 'redis://127.0.0.1:1' } });
    });
    const error = (await hub!.start().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError!);
    expect(error.message).toMatch(/needs the ioredis package; install it with `npm install ioredis`/);
    await hub!.close();
  });
});
