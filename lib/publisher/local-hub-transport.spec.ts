import type { LocalHub } from './local-hub';
import { LocalHubTransport } from './local-hub-transport';
import { HubDeliveryError } from './publish-transport';
import { Update } from './update';

function hub(publish: (update: Update) => Promise<string>): LocalHub {
  return { path: '/.well-known/mercure', publish };
}

describe('LocalHubTransport', () => {
  it('hands the very update to the embedded hub and resolves with its id', async () => {
    const received: Update[] = [];
    const transport = new LocalHubTransport(
      hub(async (update) => {
        received.push(update);
        return 'urn:uuid:local';
      }),
    );
    const update = new Update('https://example.com/books/1', '{}', { private: true });
    await expect(transport.send(update)).resolves.toBe('urn:uuid:local');
    expect(received).toEqual([update]);
    expect(received[0]).toBe(update);
  });

  it('passes HubDeliveryErrors through untouched', async () => {
    const refusal = new HubDeliveryError('Invalid retry', false, 400);
    const transport = new LocalHubTransport(hub(() => Promise.reject(refusal)));
    await expect(transport.send(new Update('t'))).rejects.toBe(refusal);
  });

  it('turns other failures, thrown or rejected, into non-retryable HubDeliveryErrors', async () => {
    const throwing = new LocalHubTransport(
      hub(() => {
        throw new RangeError('bad state');
      }),
    );
    const thrown = await throwing.send(new Update('t')).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(HubDeliveryError);
    expect((thrown as HubDeliveryError).retryable).toBe(false);
    expect((thrown as HubDeliveryError).message).toContain('bad state');
    expect((thrown as HubDeliveryError).message).toContain('/.well-known/mercure');

    const rejecting = new LocalHubTransport(hub(() => Promise.reject(new Error('nope'))));
    await expect(rejecting.send(new Update('t'))).rejects.toMatchObject({ name: 'HubDeliveryError', retryable: false });
  });
});
