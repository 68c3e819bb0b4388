import { DEFAULT_HUB_PATH } from '../mercure.constants';
import type { MercureHubLogger } from './hub-logger';
import type { ProtocolVersion } from './hub-protocol';
import { JwtVerifier } from './jwt';
import { ACCESS_TOKEN_COOKIE } from '../jwt/access-token';
import { MercureHubConfigError, MercureHubModuleOptions } from './mercure-hub.options';

/** The hub's options once checked, with defaults applied. */
export interface HubConfig {
  path: string;
  /** The versions spoken, in the order requests are tried (`both`: 0.x and 1.0). */
  versions: ReadonlySet<ProtocolVersion>;
  /** What 1.0 access tokens must carry (set when 1.0 is spoken). */
  accessToken?: { issuer: string; audience: string };
  accessTokenCookieName: string;
  publisherJwt?: JwtVerifier;
  subscriberJwt?: JwtVerifier;
  anonymous: boolean;
  corsOrigins?: '*' | ReadonlySet<string>;
  publishOrigins: ReadonlySet<string>;
  cookieName: string;
  heartbeat: number;
  historySize: number;
  maxBodySize: number;
  writeBufferLimit: number;
  subscriptions: boolean;
  maxTemplates: number;
  maxUrlPatterns: number;
  recentIds: number;
}

export const HUB_DEFAULTS = {
  cookieName: 'mercureAuthorization',
  heartbeat: 40_000,
  historySize: 1000,
  maxBodySize: 1024 * 1024,
  writeBufferLimit: 1024 * 1024,
  maxTemplates: 10_000,
  maxUrlPatterns: 200,
};

const OPTION_KEYS = new Set([
  'path', 'publisherJwt', 'subscriberJwt', 'anonymous', 'cors', 'publishOrigins', 'cookieName', 'heartbeat',
  'historySize', 'maxBodySize', 'subscriptions', 'transport', 'writeBufferLimit', 'clockTolerance', 'maxTemplates',
  'logger', 'protocol', 'issuer', 'audience', 'accessTokenCookieName', 'maxUrlPatterns', 'mount',
]);
const PROTOCOLS = ['0.x', '1.0', 'both'];
const MOUNTS = ['server', 'framework'];
const JWT_KEYS = new Set(['key', 'algorithm', 'allowInsecureKeySizes']);
const CORS_KEYS = new Set(['origins']);
export const REDIS_TRANSPORT_KEYS = new Set(['type', 'url', 'client', 'prefix', 'connectTimeout', 'idTtl']);

/** Refuses keys the hub does not know (a typo would otherwise be ignored silently). */
export function rejectUnknownKeys(value: object, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new MercureHubConfigError(
        `MercureHubModule: unknown option \`${where}${key}\`; expected one of ${[...allowed].filter((k) => k !== 'logger').join(', ')}`,
      );
    }
  }
}

/** Checks the options of `MercureHubModule` / `new MercureHub()`; errors name the option. */
export function resolveHubConfig(options: MercureHubModuleOptions & { logger?: MercureHubLogger }): HubConfig {
  if (!options || typeof options !== 'object') throw new MercureHubConfigError('MercureHubModule options must be an object');
  rejectUnknownKeys(options, OPTION_KEYS, '');
  const tolerance = nonNegative(options.clockTolerance ?? 0, 'clockTolerance');
  const publisherJwt = jwtOption(options.publisherJwt, 'publisherJwt', tolerance);
  const subscriberJwt = jwtOption(options.subscriberJwt, 'subscriberJwt', tolerance) ?? publisherJwt;
  const anonymous = booleanOption(options.anonymous, 'anonymous') ?? false;
  if (!anonymous && !subscriberJwt) {
    throw new MercureHubConfigError(
      'anonymous is false (the default) but neither subscriberJwt nor publisherJwt is set: no subscriber could connect',
    );
  }
  const cookieName = options.cookieName ?? HUB_DEFAULTS.cookieName;
  if (typeof cookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
    throw new MercureHubConfigError('cookieName must be a valid cookie name');
  }
  const protocol = options.protocol ?? '0.x';
  if (!PROTOCOLS.includes(protocol)) {
    throw new MercureHubConfigError(`protocol must be one of ${PROTOCOLS.map((p) => `'${p}'`).join(', ')}`);
  }
  const versions = new Set<ProtocolVersion>(protocol === 'both' ? ['0.x', '1.0'] : [protocol]);
  const accessTokenCookieName = options.accessTokenCookieName ?? ACCESS_TOKEN_COOKIE;
  if (typeof accessTokenCookieName !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(accessTokenCookieName)) {
    throw new MercureHubConfigError('accessTokenCookieName must be a valid cookie name');
  }
  const accessToken = versions.has('1.0')
    ? { issuer: requiredString(options.issuer, 'issuer', protocol), audience: requiredString(options.audience, 'audience', protocol) }
    : undefined;
  // Read by MercureHubModule only, checked here with the rest.
  if (options.mount !== undefined && !MOUNTS.includes(options.mount)) {
    throw new MercureHubConfigError(`mount must be one of ${MOUNTS.map((m) => `'${m}'`).join(', ')}`);
  }
  const historySize = nonNegative(options.historySize ?? HUB_DEFAULTS.historySize, 'historySize', true);
  return {
    path: checkPath(options.path ?? DEFAULT_HUB_PATH),
    versions,
    accessToken,
    accessTokenCookieName,
    publisherJwt,
    subscriberJwt,
    anonymous,
    corsOrigins: checkCors(options.cors),
    publishOrigins: new Set(checkOrigins(options.publishOrigins ?? [], 'publishOrigins', true)),
    cookieName,
    heartbeat: nonNegative(options.heartbeat ?? HUB_DEFAULTS.heartbeat, 'heartbeat'),
    historySize,
    maxBodySize: positive(options.maxBodySize ?? HUB_DEFAULTS.maxBodySize, 'maxBodySize'),
    writeBufferLimit: positive(options.writeBufferLimit ?? HUB_DEFAULTS.writeBufferLimit, 'writeBufferLimit'),
    subscriptions: booleanOption(options.subscriptions, 'subscriptions') ?? false,
    maxTemplates: positive(options.maxTemplates ?? HUB_DEFAULTS.maxTemplates, 'maxTemplates'),
    maxUrlPatterns: positive(options.maxUrlPatterns ?? HUB_DEFAULTS.maxUrlPatterns, 'maxUrlPatterns'),
    // Remembered update ids (a repeated id is the same update): the LRU keeps at least half its
    // capacity, so the last max(historySize, 1000) ids are always known.
    recentIds: 2 * Math.max(historySize, 1000),
  };
}

function jwtOption(value: MercureHubModuleOptions['publisherJwt'], name: string, tolerance: number) {
  if (value === undefined) return undefined;
  if (value && typeof value === 'object') rejectUnknownKeys(value, JWT_KEYS, `${name}.`);
  return JwtVerifier.create(value, name, tolerance);
}

function requiredString(value: unknown, name: string, protocol: string): string {
  if (typeof value !== 'string' || value === '') {
    const example = name === 'issuer' ? 'the URL of whoever signs the tokens' : "the hub's public URL";
    throw new MercureHubConfigError(`${name} is required when protocol is '${protocol}' (1.0 access tokens are checked against it: ${example})`);
  }
  return value;
}

function booleanOption(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new MercureHubConfigError(`${name} must be a boolean`);
  return value;
}

function checkPath(path: string): string {
  if (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
    throw new MercureHubConfigError('path must start with "/", without a trailing "/", query or fragment');
  }
  return path;
}

function checkCors(cors: MercureHubModuleOptions['cors']): '*' | ReadonlySet<string> | undefined {
  if (cors === undefined) return undefined;
  if (!cors || typeof cors !== 'object') throw new MercureHubConfigError('cors must be { origins: [...] | "*" }');
  rejectUnknownKeys(cors, CORS_KEYS, 'cors.');
  if (cors.origins === '*') return '*';
  return new Set(checkOrigins(cors.origins, 'cors.origins', false));
}

function checkOrigins(origins: unknown, name: string, allowStar: boolean): string[] {
  if (!Array.isArray(origins)) throw new MercureHubConfigError(`${name} must be an array of origins`);
  for (const origin of origins) {
    if (allowStar && origin === '*') continue;
    let ok = false;
    try {
      ok = typeof origin === 'string' && new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new MercureHubConfigError(
        `${name} contains ${JSON.stringify(origin)}, which is not an origin such as "https://example.com"`,
      );
    }
  }
  return origins as string[];
}

function nonNegative(value: number, name: string, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new MercureHubConfigError(`${name} must be a non-negative ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

export function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MercureHubConfigError(`${name} must be a positive integer`);
  }
  return value;
}
