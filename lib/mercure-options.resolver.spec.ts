import { MercureConfigurationError, resolveMercureOptions } from './mercure-options.resolver';

const SECRET = 'a-very-secret-key-that-must-never-leak';
const base = { baseUrl: 'https://api.example.com' };

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('resolveMercureOptions', () => {
  it('fills the default hub from the API Platform environment variables', () => {
    const resolved = resolveMercureOptions(base, {
      MERCURE_PUBLISH_URL: 'https://hub.example.com/.well-known/mercure',
      MERCURE_SUBSCRIBE_URL: 'https://public.example.com/.well-known/mercure',
      MERCURE_JWT_SECRET: SECRET,
    });
    expect(resolved.defaultHub).toBe('default');
    expect(resolved.hubs).toEqual([
      expect.objectContaining({
        name: 'default',
        publishUrl: 'https://hub.example.com/.well-known/mercure',
        subscribeUrl: 'https://public.example.com/.well-known/mercure',
        jwt: { secret: SECRET },
      }),
    ]);
  });

  it('prefers explicit options over the environment, and a token variable over a secret', () => {
    const resolved = resolveMercureOptions(
      { ...base, publishUrl: 'http://localhost:3000/.well-known/mercure' },
      { MERCURE_PUBLISH_URL: 'https://ignored.example.com/hub', MERCURE_JWT_TOKEN: 'tok', MERCURE_JWT_SECRET: SECRET },
    );
    expect(resolved.hubs[0].publishUrl).toBe('http://localhost:3000/.well-known/mercure');
    expect(resolved.hubs[0].jwt).toEqual({ token: 'tok' });
  });

  it('treats empty variables as unset', () => {
    const resolved = resolveMercureOptions(base, { MERCURE_PUBLISH_URL: '', MERCURE_JWT_SECRET: ' ' });
    expect(resolved.hubs[0].publishUrl).toBeUndefined();
    expect(resolved.hubs[0].jwt).toBeUndefined();
  });

  it('names the option and its variable when an external hub has no credentials', () => {
    const error = errorOf(() => resolveMercureOptions(base, { MERCURE_PUBLISH_URL: 'https://hub.example.com/hub' }));
    expect(error).toBeInstanceOf(MercureConfigurationError);
    expect(error.message).toContain('`jwt`');
    expect(error.message).toContain('MERCURE_JWT_TOKEN');
    expect(error.message).toContain('MERCURE_JWT_SECRET');
  });

  it('rejects a malformed publish URL without echoing it', () => {
    const error = errorOf(() =>
      resolveMercureOptions({ ...base, publishUrl: `ftp://user:${SECRET}@hub`, jwt: { secret: SECRET } }, {}),
    );
    expect(error.message).toContain('`publishUrl`');
    expect(error.message).not.toContain(SECRET);
  });

  it('rejects unknown keys, at the top level and in nested options', () => {
    expect(errorOf(() => resolveMercureOptions({ ...base, publishURL: 'x' } as never, {})).message).toContain('`publishURL`');
    expect(
      errorOf(() => resolveMercureOptions({ ...base, delivery: { retry: 3 } } as never, {})).message,
    ).toContain('`delivery.retry`');
    expect(
      errorOf(() => resolveMercureOptions({ ...base, jwt: { secret: SECRET, alg: 'HS256' } } as never, {})).message,
    ).toContain('`jwt.alg`');
  });

  it('requires baseUrl', () => {
    expect(errorOf(() => resolveMercureOptions({}, {})).message).toContain('`baseUrl`');
  });

  it('resolves named hubs without reading the environment for them', () => {
    const resolved = resolveMercureOptions(
      {
        ...base,
        hubs: {
          books: { publishUrl: 'https://books.example.com/hub', jwt: { token: 't1' } },
          audit: { publishUrl: 'https://audit.example.com/hub', jwt: () => 't2' },
        },
        defaultHub: 'audit',
      },
      { MERCURE_SUBSCRIBE_URL: '' },
    );
    expect(resolved.hubs.map((h) => h.name)).toEqual(['books', 'audit']);
    expect(resolved.defaultHub).toBe('audit');
    const missing = errorOf(() =>
      resolveMercureOptions({ ...base, hubs: { books: { publishUrl: 'https://books.example.com/hub' } } }, {}),
    );
    expect(missing.message).toContain('`hubs.books.jwt`');
    expect(missing.message).not.toContain('MERCURE_JWT');
  });

  it('rejects a default hub that is not configured', () => {
    const error = errorOf(() =>
      resolveMercureOptions({ ...base, defaultHub: 'nope', publishUrl: 'https://h.example.com', jwt: { token: 't' } }, {}),
    );
    expect(error.message).toContain('`defaultHub`');
  });

  it('applies delivery defaults and checks their types', () => {
    const resolved = resolveMercureOptions(base, {});
    expect(resolved.delivery).toEqual({
      mode: 'memory',
      timeout: 5000,
      retries: undefined,
      retryWindow: 60_000,
      maxPending: 10_000,
      retryDelay: 100,
      maxRetryDelay: 5000,
      connections: 32,
      waitForDelivery: false,
      shutdownTimeout: 5000,
      outbox: { leaseDuration: 15_000, sweepInterval: 1000, batchSize: 100, concurrency: 64, alertAfter: 10_000 },
    });
    expect(errorOf(() => resolveMercureOptions({ ...base, delivery: { timeout: -1 } }, {})).message).toContain(
      '`delivery.timeout`',
    );
  });

  it('checks the delivery mode and the outbox options', () => {
    expect(resolveMercureOptions({ ...base, delivery: { mode: 'outbox' } }, {}).delivery.mode).toBe('outbox');
    expect(errorOf(() => resolveMercureOptions({ ...base, delivery: { mode: 'disk' as any } }, {})).message).toContain(
      "`delivery.mode` must be 'memory' or 'outbox'",
    );
    expect(errorOf(() => resolveMercureOptions({ ...base, delivery: { mode: 'outbox', waitForDelivery: true } }, {})).message).toContain(
      'cannot be combined',
    );
    expect(errorOf(() => resolveMercureOptions({ ...base, delivery: { outbox: { leaseDuraton: 1 } as any } }, {})).message).toContain(
      'unknown option `delivery.outbox.leaseDuraton`',
    );
    expect(errorOf(() => resolveMercureOptions({ ...base, delivery: { outbox: { batchSize: 0.5 } } }, {})).message).toContain(
      '`delivery.outbox.batchSize` must be an integer >= 1',
    );
  });
});
