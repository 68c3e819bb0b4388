import { DEFAULT_CONNECTIONS, DEFAULT_HUB_NAME } from './mercure.constants';
import type { MercureHubOptions, MercureJwtOptions, MercureModuleOptions } from './mercure.options';
import type { PublishTransport } from './publisher/publish-transport';

/** The environment variables API Platform documents, used for the default hub only. */
export const MERCURE_ENV = {
  publishUrl: 'MERCURE_PUBLISH_URL',
  subscribeUrl: 'MERCURE_SUBSCRIBE_URL',
  token: 'MERCURE_JWT_TOKEN',
  secret: 'MERCURE_JWT_SECRET',
} as const;

export interface ResolvedHubConfig {
  name: string;
  /** Absent: the embedded hub, in-process. */
  publishUrl?: string;
  subscribeUrl?: string;
  jwt?: MercureJwtOptions;
  transport?: PublishTransport;
  protocol: '0.x' | '1.0';
  /** 1.0: what the publisher token carries in `iss` and `aud` (absent on 0.x). */
  accessToken?: { issuer?: string; audience?: string };
  /** Where each setting is documented, for error messages (`hubs.books.jwt`, `MERCURE_JWT_SECRET`). */
  optionPath: string;
}

export interface ResolvedMercureOptions {
  hubs: ResolvedHubConfig[];
  defaultHub: string;
  baseUrl: string;
  discovery: 'all' | 'decorated' | false;
  delivery: {
    mode: 'memory' | 'outbox';
    timeout: number;
    /** Undefined: as many as fit in `retryWindow`. */
    retries?: number;
    retryWindow: number;
    maxPending: number;
    retryDelay: number;
    maxRetryDelay: number;
    connections: number;
    waitForDelivery: boolean;
    shutdownTimeout: number;
    outbox: { leaseDuration: number; sweepInterval: number; batchSize: number; concurrency: number; alertAfter: number };
  };
}

export class MercureConfigurationError extends Error {
  constructor(message: string) {
    super(`MercureModule: ${message}`);
    this.name = 'MercureConfigurationError';
  }
}

const MODULE_KEYS = new Set([
  'publishUrl', 'subscribeUrl', 'jwt', 'transport', 'protocol', 'issuer', 'audience', 'hubs', 'defaultHub', 'baseUrl', 'discovery', 'delivery', 'isGlobal',
]);
const HUB_KEYS = new Set(['publishUrl', 'subscribeUrl', 'jwt', 'transport', 'protocol', 'issuer', 'audience']);
const DELIVERY_KEYS = new Set([
  'mode', 'timeout', 'retries', 'retryWindow', 'maxPending', 'retryDelay', 'maxRetryDelay', 'connections', 'waitForDelivery',
  'shutdownTimeout', 'outbox',
]);
const OUTBOX_KEYS = new Set(['leaseDuration', 'sweepInterval', 'batchSize', 'concurrency', 'alertAfter']);

function rejectUnknownKeys(value: object, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new MercureConfigurationError(`unknown option \`${where}${key}\`; expected one of ${[...allowed].join(', ')}`);
    }
  }
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Checks an http(s) URL without ever echoing it: it may carry credentials. */
function checkUrl(value: unknown, option: string): string {
  if (typeof value !== 'string') {
    throw new MercureConfigurationError(`${option} must be a string URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MercureConfigurationError(`${option} is not a valid absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MercureConfigurationError(`${option} must use http or https, not ${url.protocol}`);
  }
  return value;
}

function checkJwt(jwt: unknown, option: string): MercureJwtOptions {
  if (typeof jwt === 'function') return jwt as MercureJwtOptions;
  if (!jwt || typeof jwt !== 'object') {
    throw new MercureConfigurationError(`\`${option}\` must be { token }, { secret, algorithm?, publish? } or a function returning a token`);
  }
  const keys = Object.keys(jwt);
  if ('token' in jwt) {
    rejectUnknownKeys(jwt, new Set(['token']), `${option}.`);
    if (typeof (jwt as { token: unknown }).token !== 'string' || !(jwt as { token: string }).token) {
      throw new MercureConfigurationError(`\`${option}.token\` must be a non-empty string`);
    }
  } else if ('secret' in jwt) {
    rejectUnknownKeys(jwt, new Set(['secret', 'algorithm', 'publish', 'lifetime', 'allowInsecureKeySizes']), `${option}.`);
    const allow = (jwt as { allowInsecureKeySizes?: unknown }).allowInsecureKeySizes;
    if (allow !== undefined && typeof allow !== 'boolean') {
      throw new MercureConfigurationError(`\`${option}.allowInsecureKeySizes\` must be a boolean`);
    }
    const secret = (jwt as { secret: unknown }).secret;
    if (secret === '' || secret === undefined || secret === null) {
      throw new MercureConfigurationError(`\`${option}.secret\` must not be empty`);
    }
  } else {
    throw new MercureConfigurationError(`\`${option}\` needs \`token\` or \`secret\`, got keys: ${keys.join(', ') || 'none'}`);
  }
  return jwt as MercureJwtOptions;
}

function positiveNumber(value: unknown, fallback: number, option: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new MercureConfigurationError(`\`${option}\` must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

function integerAtLeast1(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MercureConfigurationError(`\`${option}\` must be an integer >= 1`);
  }
  return value;
}

function resolveHub(
  name: string,
  options: MercureHubOptions,
  optionPath: string,
  env: NodeJS.ProcessEnv | undefined,
): ResolvedHubConfig {
  const fromEnv = (variable: string) => (env ? envValue(env, variable) : undefined);
  // How an error names the setting: `hubs.books.publishUrl`, or `publishUrl` (env MERCURE_PUBLISH_URL).
  const label = (option: string, variable: string) =>
    `\`${optionPath}${option}\`` + (env ? ` (env ${variable})` : '');

  const publishUrl = options.publishUrl ?? fromEnv(MERCURE_ENV.publishUrl);
  const subscribeUrl = options.subscribeUrl ?? fromEnv(MERCURE_ENV.subscribeUrl);
  if (publishUrl !== undefined) checkUrl(publishUrl, label('publishUrl', MERCURE_ENV.publishUrl));
  if (subscribeUrl !== undefined && !subscribeUrl.startsWith('/')) {
    checkUrl(subscribeUrl, label('subscribeUrl', MERCURE_ENV.subscribeUrl));
  }

  let jwt = options.jwt;
  if (jwt === undefined && env) {
    const token = fromEnv(MERCURE_ENV.token);
    const secret = fromEnv(MERCURE_ENV.secret);
    if (token) jwt = { token };
    else if (secret) jwt = { secret };
  }
  if (jwt !== undefined) jwt = checkJwt(jwt, `${optionPath}jwt`);

  if (publishUrl && !jwt && !options.transport) {
    throw new MercureConfigurationError(
      `hub "${name}" publishes to an external hub but has no credentials: set \`${optionPath}jwt\`` +
        (env ? ` (or env ${MERCURE_ENV.token} / ${MERCURE_ENV.secret})` : ''),
    );
  }
  const protocol = options.protocol ?? '0.x';
  if (protocol !== '0.x' && protocol !== '1.0') {
    throw new MercureConfigurationError(`\`${optionPath}protocol\` must be '0.x' or '1.0' (a hub in 'both' mode takes either)`);
  }
  for (const option of ['issuer', 'audience'] as const) {
    const value = options[option];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new MercureConfigurationError(`\`${optionPath}${option}\` must be a non-empty string`);
    }
  }
  const audience = options.audience ?? (subscribeUrl && !subscribeUrl.startsWith('/') ? subscribeUrl : publishUrl);
  const signsAccessTokens = protocol === '1.0' && jwt && typeof jwt === 'object' && 'secret' in jwt;
  if (signsAccessTokens && !options.issuer) {
    throw new MercureConfigurationError(`hub "${name}" speaks 1.0 and signs its tokens: set \`${optionPath}issuer\` (the \`iss\` the hub expects)`);
  }
  if (signsAccessTokens && !audience) {
    throw new MercureConfigurationError(`hub "${name}" speaks 1.0 and signs its tokens: set \`${optionPath}audience\` (the hub's public URL)`);
  }
  return {
    name,
    publishUrl,
    subscribeUrl,
    jwt,
    transport: options.transport,
    protocol,
    ...(protocol === '1.0' && { accessToken: { issuer: options.issuer, audience } }),
    optionPath,
  };
}

/**
 * Validates the module options and fills the gaps from the environment. Throws a
 * `MercureConfigurationError` naming the option (and its variable); values never appear in it.
 */
export function resolveMercureOptions(
  options: MercureModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMercureOptions {
  if (!options || typeof options !== 'object') {
    throw new MercureConfigurationError('options must be an object');
  }
  rejectUnknownKeys(options, MODULE_KEYS, '');
  if (options.delivery !== undefined) rejectUnknownKeys(options.delivery, DELIVERY_KEYS, 'delivery.');
  if (options.delivery?.outbox !== undefined) rejectUnknownKeys(options.delivery.outbox, OUTBOX_KEYS, 'delivery.outbox.');

  const hubs: ResolvedHubConfig[] = [];
  const named = options.hubs ?? {};
  if (typeof named !== 'object') throw new MercureConfigurationError('`hubs` must be an object of named hub options');
  const topLevelGiven = [...HUB_KEYS].some((key) => (options as Record<string, unknown>)[key] !== undefined);
  const envGiven = Object.values(MERCURE_ENV).some((variable) => envValue(env, variable));
  if (DEFAULT_HUB_NAME in named && topLevelGiven) {
    throw new MercureConfigurationError(`hub "${DEFAULT_HUB_NAME}" is given both at the top level and in \`hubs\``);
  }
  // The top-level options (and the environment) describe the default hub unless only named hubs are given.
  if (topLevelGiven || envGiven || Object.keys(named).length === 0) {
    hubs.push(resolveHub(DEFAULT_HUB_NAME, options, '', env));
  }
  for (const [name, hubOptions] of Object.entries(named)) {
    if (!hubOptions || typeof hubOptions !== 'object') {
      throw new MercureConfigurationError(`\`hubs.${name}\` must be an object`);
    }
    rejectUnknownKeys(hubOptions, HUB_KEYS, `hubs.${name}.`);
    hubs.push(resolveHub(name, hubOptions, `hubs.${name}.`, undefined));
  }

  const defaultHub = options.defaultHub ?? hubs[0].name;
  if (!hubs.some((hub) => hub.name === defaultHub)) {
    throw new MercureConfigurationError(
      `\`defaultHub\` names "${defaultHub}", which is not configured; hubs: ${hubs.map((h) => h.name).join(', ')}`,
    );
  }

  if (options.baseUrl === undefined) {
    throw new MercureConfigurationError('`baseUrl` is required: it is the base of absolute topic IRIs (e.g. https://api.example.com)');
  }
  checkUrl(options.baseUrl, '`baseUrl`');

  const discovery = options.discovery ?? 'all';
  if (discovery !== 'all' && discovery !== 'decorated' && discovery !== false) {
    throw new MercureConfigurationError("`discovery` must be 'all', 'decorated' or false");
  }

  const d = options.delivery ?? {};
  if (d.waitForDelivery !== undefined && typeof d.waitForDelivery !== 'boolean') {
    throw new MercureConfigurationError('`delivery.waitForDelivery` must be a boolean');
  }
  const mode = d.mode ?? 'memory';
  if (mode !== 'memory' && mode !== 'outbox') {
    throw new MercureConfigurationError("`delivery.mode` must be 'memory' or 'outbox'");
  }
  if (mode === 'outbox' && d.waitForDelivery) {
    throw new MercureConfigurationError(
      "`delivery.waitForDelivery` cannot be combined with `delivery.mode: 'outbox'`: the outbox delivers after the commit, " +
        'whatever the hub does; watch `MercureOutbox.stats()` instead',
    );
  }
  const o = d.outbox ?? {};
  return {
    hubs,
    defaultHub,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    discovery,
    delivery: {
      mode,
      timeout: positiveNumber(d.timeout, 5000, 'delivery.timeout'),
      retries: d.retries === undefined ? undefined : positiveNumber(d.retries, 0, 'delivery.retries', true),
      retryWindow: positiveNumber(d.retryWindow, 60_000, 'delivery.retryWindow', true),
      maxPending: positiveNumber(d.maxPending, 10_000, 'delivery.maxPending'),
      retryDelay: positiveNumber(d.retryDelay, 100, 'delivery.retryDelay'),
      maxRetryDelay: positiveNumber(d.maxRetryDelay, 5000, 'delivery.maxRetryDelay'),
      connections: positiveNumber(d.connections, DEFAULT_CONNECTIONS, 'delivery.connections'),
      waitForDelivery: d.waitForDelivery ?? false,
      shutdownTimeout: positiveNumber(d.shutdownTimeout, 5000, 'delivery.shutdownTimeout', true),
      outbox: {
        leaseDuration: positiveNumber(o.leaseDuration, 15_000, 'delivery.outbox.leaseDuration'),
        sweepInterval: positiveNumber(o.sweepInterval, 1000, 'delivery.outbox.sweepInterval'),
        batchSize: integerAtLeast1(o.batchSize, 100, 'delivery.outbox.batchSize'),
        concurrency: integerAtLeast1(o.concurrency, 64, 'delivery.outbox.concurrency'),
        alertAfter: positiveNumber(o.alertAfter, 10_000, 'delivery.outbox.alertAfter', true),
      },
    },
  };
}
