import type { MercureHubModuleOptions } from '../hub/mercure-hub.options';
import type { ResolvedHubConfig, ResolvedMercureOptions } from '../mercure-options.resolver';
import type { MercureJwtSecretOptions } from '../mercure.options';
import type { HubRegistry } from '../publisher/hub-registry';
import { cookieScope, CookieScope } from './cookie-scope';
import { AccessTokenSubscriberProtocol } from './access-token-subscriber-protocol';
import { DraftSubscriberProtocol } from './draft-subscriber-protocol';
import {
  MercureAuthorizationConfigError,
  MercureAuthorizationHubOptions,
  MercureAuthorizationModuleOptions,
  SubscriberCookieSameSite,
} from './mercure-authorization.options';
import { allowInsecureKeySizesOf } from '../jwt/key-algorithm';
import { importSigningKey, SigningKey } from './signing-key';
import type { SubscriberProtocol } from './subscriber-protocol';

const DEFAULT_LIFETIME = 3600;
const SAME_SITE: readonly SubscriberCookieSameSite[] = ['Strict', 'Lax', 'None'];
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HUB_KEYS = new Set(['key', 'algorithm', 'allowInsecureKeySizes', 'protocol', 'issuer', 'audience', 'lifetime', 'cookieName', 'cookieDomain', 'sameSite']);
const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])$|\.localhost$/;

/** Everything the service needs to authorize subscribers of one hub, checked at start-up. */
export interface HubAuthorization {
  name: string;
  /** The token format used unless a grant asks for another. */
  protocol: SubscriberProtocol;
  /** Every format the hub reads (both for a hub in `both` mode). */
  protocols: SubscriberProtocol[];
  /**
   * The formats `setCookie` sets a cookie for: all of them, except, in `both` mode, the 1.0 one
   * when the hub is plain http on a non-loopback host (browsers drop a `__Secure-` cookie there).
   */
  cookieProtocols: SubscriberProtocol[];
  lifetime: number;
  sameSite: SubscriberCookieSameSite;
  /** An Error when no key was configured for a hub that is not the default one (thrown on use). */
  key: SigningKey | Error;
  /** An Error when the hub has no subscribe URL (thrown on use). */
  scope: CookieScope | Error;
}

/** The settings of every hub `MercureModule` knows; configuration mistakes throw now. */
export function resolveHubAuthorizations(
  options: MercureAuthorizationModuleOptions,
  mercure: ResolvedMercureOptions,
  registry: HubRegistry,
  embedded?: MercureHubModuleOptions,
): Map<string, HubAuthorization> {
  if (!options || typeof options !== 'object') throw new MercureAuthorizationConfigError('options must be an object');
  const { hubs: named = {}, ...defaults } = options;
  for (const name of Object.keys(named)) {
    if (!registry.has(name)) {
      throw new MercureAuthorizationConfigError(`\`hubs.${name}\` names no hub of MercureModule; hubs: ${registry.names().join(', ')}`);
    }
  }
  checkKeys(defaults, '');
  const result = new Map<string, HubAuthorization>();
  for (const hub of mercure.hubs) {
    const own = named[hub.name];
    const where = own ? `hubs.${hub.name}.` : '';
    if (own) checkKeys(own, where);
    const settings: MercureAuthorizationHubOptions = { ...defaults, ...own };
    const servedInProcess = !hub.publishUrl && !hub.transport && embedded !== undefined;
    const protocols = protocolsOf(settings, where, hub, servedInProcess ? embedded : undefined);
    result.set(hub.name, {
      name: hub.name,
      protocol: protocols[0],
      protocols,
      cookieProtocols: protocols,
      lifetime: lifetimeOf(settings.lifetime, `${where}lifetime`),
      sameSite: sameSiteOf(settings.sameSite, where),
      key: keyOf(settings, where, hub, servedInProcess ? embedded : undefined, hub.name === mercure.defaultHub),
      scope: scopeOf(settings, where, hub, registry, mercure.baseUrl),
    });
    const resolved = result.get(hub.name)!;
    const scope = resolved.scope;
    // Browsers take `Secure` cookies from loopback hosts over http too (a secure context).
    const hubUrl = registry.get(hub.name).subscribeUrl;
    const deliverable = (p: SubscriberProtocol) =>
      !p.requiresSecureCookie || scope instanceof Error || scope.secure || LOOPBACK.test(hubUrl ? new URL(hubUrl, mercure.baseUrl).hostname : '');
    resolved.cookieProtocols = protocols.filter(deliverable);
    if (resolved.cookieProtocols.length === 0) {
      throw new MercureAuthorizationConfigError(`hub "${hub.name}": the 1.0 cookie ${protocols[0].cookieName} needs an https hub (or a loopback one)`);
    }
  }
  return result;
}

function checkKeys(options: object, where: string): void {
  for (const key of Object.keys(options)) {
    if (!HUB_KEYS.has(key)) {
      throw new MercureAuthorizationConfigError(`unknown option \`${where}${key}\`; expected one of ${[...HUB_KEYS].join(', ')}`);
    }
  }
}

/** The token formats of a hub, its default first. */
function protocolsOf(
  settings: MercureAuthorizationHubOptions,
  where: string,
  hub: ResolvedHubConfig,
  embedded?: MercureHubModuleOptions,
): SubscriberProtocol[] {
  const version = settings.protocol ?? (hub.protocol === '1.0' ? '1.0' : (embedded?.protocol ?? '0.x'));
  if (!['0.x', '1.0', 'both'].includes(version)) {
    throw new MercureAuthorizationConfigError(`\`${where}protocol\` must be '0.x', '1.0' or 'both'`);
  }
  const cookieName = settings.cookieName;
  if (cookieName !== undefined && (typeof cookieName !== 'string' || !COOKIE_NAME.test(cookieName))) {
    throw new MercureAuthorizationConfigError(`\`${where}cookieName\` must be a valid cookie name`);
  }
  const protocols: SubscriberProtocol[] = [];
  if (version !== '1.0') protocols.push(new DraftSubscriberProtocol(cookieName ?? embedded?.cookieName));
  if (version !== '0.x') {
    const issuer = settings.issuer ?? hub.accessToken?.issuer ?? embedded?.issuer;
    const audience = settings.audience ?? hub.accessToken?.audience ?? embedded?.audience;
    if (!issuer || !audience) {
      throw new MercureAuthorizationConfigError(
        `hub "${hub.name}" speaks ${version}: set \`${where}${issuer ? 'audience' : 'issuer'}\` (or the hub's in MercureModule)`,
      );
    }
    const name = (version === '1.0' ? cookieName : undefined) ?? embedded?.accessTokenCookieName;
    protocols.push(new AccessTokenSubscriberProtocol(issuer, audience, name));
  }
  return protocols;
}

export function lifetimeOf(value: unknown, option: string, fallback = DEFAULT_LIFETIME): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MercureAuthorizationConfigError(`\`${option}\` must be a positive integer (seconds)`);
  }
  return value;
}

function sameSiteOf(value: unknown, where: string): SubscriberCookieSameSite {
  if (value === undefined) return 'Strict';
  if (!SAME_SITE.includes(value as SubscriberCookieSameSite)) {
    throw new MercureAuthorizationConfigError(`\`${where}sameSite\` must be one of ${SAME_SITE.join(', ')}`);
  }
  return value as SubscriberCookieSameSite;
}

/** Own key, else the embedded hub's subscriber key, else the secret the publisher signs with. */
function keyOf(
  settings: MercureAuthorizationHubOptions,
  where: string,
  hub: ResolvedHubConfig,
  embedded: MercureHubModuleOptions | undefined,
  isDefault: boolean,
): SigningKey | Error {
  const allowInsecure = allowInsecureKeySizesOf(
    settings.allowInsecureKeySizes,
    `${where}allowInsecureKeySizes`,
    (message) => new MercureAuthorizationConfigError(message),
  );
  if (settings.key !== undefined) {
    return importSigningKey(settings.key, settings.algorithm ?? 'HS256', `\`${where}key\``, allowInsecure);
  }
  // A borrowed key comes with the leniency its owner was given.
  const hubJwt = embedded && (embedded.subscriberJwt ?? embedded.publisherJwt);
  if (hubJwt) {
    const option = embedded.subscriberJwt ? 'subscriberJwt' : 'publisherJwt';
    const source = `MercureHubModule \`${option}.key\` (used to sign subscriber tokens)`;
    return importSigningKey(hubJwt.key, hubJwt.algorithm ?? 'HS256', source, allowInsecure || hubJwt.allowInsecureKeySizes === true);
  }
  const jwt = hub.jwt as MercureJwtSecretOptions | undefined;
  if (jwt && typeof jwt === 'object' && 'secret' in jwt && jwt.secret !== undefined) {
    const source = `MercureModule \`${hub.optionPath}jwt.secret\` (used to sign subscriber tokens)`;
    return importSigningKey(jwt.secret, jwt.algorithm ?? 'HS256', source, allowInsecure || jwt.allowInsecureKeySizes === true);
  }
  const option = isDefault ? `${where}key` : `hubs.${hub.name}.key`;
  const missing = new MercureAuthorizationConfigError(`hub "${hub.name}" has no key to sign subscriber tokens: set \`${option}\``);
  if (isDefault) throw missing;
  return missing;
}

function scopeOf(
  settings: MercureAuthorizationHubOptions,
  where: string,
  hub: ResolvedHubConfig,
  registry: HubRegistry,
  baseUrl: string,
): CookieScope | Error {
  const url = registry.get(hub.name).subscribeUrl;
  if (!url) return new Error(`Hub "${hub.name}" has no subscribe URL: set its \`subscribeUrl\` in MercureModule`);
  const scope = cookieScope(url, baseUrl, settings.cookieDomain, where);
  if (settings.sameSite === 'None' && !scope.secure) {
    throw new MercureAuthorizationConfigError(`\`${where}sameSite\` None needs an https hub (browsers refuse it without Secure)`);
  }
  return scope;
}
