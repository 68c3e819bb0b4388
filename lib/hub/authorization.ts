import type { IncomingMessage } from 'http';
import { decodeProtectedHeader } from 'jose';
import type { HubConfig } from './hub-config';
import type { MercureHubLogger } from './hub-logger';
import type { HubGrants, HubProtocol, ProtocolVersion } from './hub-protocol';
import { HttpError, headerValue, loggable, readCookie } from './http-util';
import { JwtVerifier, TokenError } from './jwt';
import { PROTOCOL_0X } from './protocol-0x';
import { PROTOCOL_10 } from './protocol-10';
import type { TopicSelectorStore } from './topic-selector';

/** RFC 6750 error codes (protocol 1.0); undefined when the request carried no credentials at all. */
type BearerError = 'invalid_token' | 'insufficient_scope' | 'invalid_request' | undefined;
type Role = 'publisher' | 'subscriber';

const BEARER_STATUS = { invalid_token: 401, insufficient_scope: 403, invalid_request: 400 };

/** A publisher's grants, with the version its token is written in (decides how refusals look). */
export interface PublisherGrants {
  grants: HubGrants;
  version: ProtocolVersion;
}

/**
 * Who may publish and subscribe. A token is read by its shape: an RFC 9068 access token
 * (`typ: at+jwt`) is checked as 1.0 asks (`iss`, `aud`, `exp`, `authorization_details`), anything
 * else as a 0.x token (the `mercure` claim); each only when the hub speaks that version, so that
 * `both` relaxes neither. Refusals follow the request's version: a bare 401 on 0.x (as the
 * reference hub answers), RFC 6750 errors with `WWW-Authenticate` on 1.0; the operator gets one
 * debug line with the reason, never with the token.
 */
export class HubAuthorization {
  private readonly protocols: readonly HubProtocol[];

  constructor(
    private readonly config: HubConfig,
    private readonly selectors: TopicSelectorStore,
    private readonly logger: MercureHubLogger,
  ) {
    this.protocols = [PROTOCOL_0X, PROTOCOL_10].filter((p) => config.versions.has(p.version));
  }

  /** The version a subscription request is written in; 400 when it mixes both. */
  protocolOf(query: URLSearchParams): HubProtocol {
    if (this.protocols.length === 1) return this.protocols[0];
    const recognized = this.protocols.filter((p) => p.recognizes(query));
    if (recognized.length > 1) throw new HttpError(400, 'A subscription uses "topic" (0.x) or "match" (1.0), not both');
    return recognized[0] ?? PROTOCOL_0X;
  }

  /** The grants of a publisher allowed to publish at all (some `publish` selector). */
  async publisher(req: IncomingMessage, query: URLSearchParams): Promise<PublisherGrants> {
    let version = this.defaultVersion;
    const token = this.token(req, query, 'publisher', version);
    if (token === undefined) throw this.refuse('publisher', 'no token', version, undefined);
    if (token.accessToken && this.config.versions.has('1.0')) version = '1.0';
    if (!this.config.publisherJwt) {
      throw this.refuse('publisher', 'publishing over HTTP is off (no publisherJwt)', version, 'invalid_token');
    }
    const grants = await this.verify(this.config.publisherJwt, token, 'publisher', version);
    if (!grants.publish || grants.publish.length === 0) {
      throw this.refuse('publisher', 'missing publish claim', version, 'insufficient_scope');
    }
    return { grants, version };
  }

  /** Refuses an update one of whose topics the publisher's selectors do not match. */
  checkPublish({ grants, version }: PublisherGrants, topics: readonly string[]): void {
    const topic = this.selectors.firstUnmatched(grants.publish ?? [], topics);
    if (topic !== undefined) {
      throw this.refuse('publisher', `not allowed to publish to topic ${loggable(topic)}`, version, 'insufficient_scope');
    }
  }

  /** The subscriber's grants; undefined for an anonymous subscriber (when the hub allows them). */
  async subscriber(req: IncomingMessage, query: URLSearchParams, version: ProtocolVersion): Promise<HubGrants | undefined> {
    const token = this.token(req, query, 'subscriber', version);
    if (token === undefined) {
      if (this.config.anonymous) return undefined;
      throw this.refuse('subscriber', 'no token and anonymous is off', version, undefined);
    }
    if (!this.config.subscriberJwt) throw this.refuse('subscriber', 'no subscriberJwt to verify tokens', version, 'invalid_token');
    return this.verify(this.config.subscriberJwt, token, 'subscriber', version);
  }

  /** The subscriptions API: a subscriber token whose `subscribe` selectors match the path. */
  async subscriptionsReader(req: IncomingMessage, query: URLSearchParams, path: string, version: ProtocolVersion): Promise<void> {
    const token = this.token(req, query, 'subscriber', version);
    if (token === undefined || !this.config.subscriberJwt) throw this.refuse('subscriber', 'no token', version, undefined);
    const grants = await this.verify(this.config.subscriberJwt, token, 'subscriber', version);
    if (!grants.subscribe || !grants.subscribe.some((s) => this.selectors.matches(s, path))) {
      throw this.refuse('subscriber', `not allowed to read ${loggable(path)}`, version, 'insufficient_scope');
    }
  }

  /** The version of requests that carry no sign of theirs (0.x whenever the hub speaks it). */
  get defaultVersion(): ProtocolVersion {
    return this.config.versions.has('0.x') ? '0.x' : '1.0';
  }

  /**
   * The token, from the `Authorization: Bearer` header, else (0.x only) the query parameter, else
   * a cookie (the request's version's first); for publishing, a cookie counts only from an allowed
   * origin (CSRF). 1.0 never takes a token from the URL (RFC 9700): asking it to is a 400.
   */
  private token(req: IncomingMessage, query: URLSearchParams, role: Role, version: ProtocolVersion): Token | undefined {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(header);
      if (!match) throw this.refuse(role, 'Authorization header is not "Bearer <token>"', version, 'invalid_request');
      return this.tokenOf(match[1], 'header');
    }
    if (version === '1.0') {
      if (query.has('authorization') || query.has('access_token')) {
        throw this.refuse(role, 'a token in the URL (protocol 1.0 takes it from the header or the cookie)', version, 'invalid_request');
      }
    } else {
      const fromQuery = query.get(PROTOCOL_0X.tokenQueryParameter!);
      if (fromQuery !== null) return this.tokenOf(fromQuery, 'query');
    }
    const names: string[] = [];
    if (this.config.versions.has('0.x')) names.push(this.config.cookieName);
    // The request's version's cookie first.
    if (this.config.versions.has('1.0')) names[version === '1.0' ? 'unshift' : 'push'](this.config.accessTokenCookieName);
    for (const name of names) {
      const cookie = readCookie(req.headers.cookie, name);
      if (cookie === undefined) continue;
      if (role === 'publisher' && !this.isPublishOriginAllowed(req)) {
        throw this.refuse(role, 'cookie sent from an origin not in publishOrigins', version, 'invalid_token');
      }
      return this.tokenOf(cookie, 'cookie');
    }
    return undefined;
  }

  /** Only a hub speaking 1.0 reads the JOSE header (`typ: at+jwt`); the others never need it. */
  private tokenOf(value: string, from: Token['from']): Token {
    return { value, from, accessToken: this.config.versions.has('1.0') && isAccessToken(value) };
  }

  private isPublishOriginAllowed(req: IncomingMessage): boolean {
    const origins = this.config.publishOrigins;
    if (origins.has('*')) return true;
    let origin = headerValue(req.headers.origin);
    if (origin === undefined) {
      const referer = headerValue(req.headers.referer);
      if (referer === undefined) return false;
      try {
        origin = new URL(referer).origin;
      } catch {
        return false;
      }
    }
    return origins.has(origin);
  }

  private async verify(verifier: JwtVerifier, token: Token, role: Role, version: ProtocolVersion): Promise<HubGrants> {
    try {
      if (token.accessToken && this.config.accessToken) {
        if (token.from === 'query') {
          throw this.refuse(role, 'an access token in the URL', '1.0', 'invalid_request');
        }
        return PROTOCOL_10.grants(await verifier.verifyAccessToken(token.value, this.config.accessToken));
      }
      if (!this.config.versions.has('0.x')) throw new TokenError('not an RFC 9068 access token (header "typ" must be "at+jwt")');
      return PROTOCOL_0X.grants(await verifier.verifyPayload(token.value));
    } catch (error) {
      if (error instanceof TokenError) throw this.refuse(role, `token refused: ${error.reason}`, version, 'invalid_token');
      throw error;
    }
  }

  private refuse(role: Role, reason: string, version: ProtocolVersion, error: BearerError): HttpError {
    if (version === '0.x') {
      this.logger.debug?.(`401 for a ${role}: ${reason}`);
      return new HttpError(401, 'Unauthorized');
    }
    const status = error === undefined ? 401 : BEARER_STATUS[error];
    this.logger.debug?.(`${status} for a ${role}: ${reason}`);
    const challenge = error === undefined ? 'Bearer realm="mercure"' : `Bearer realm="mercure", error="${error}"`;
    const text = error === undefined ? 'Unauthorized' : error;
    return new HttpError(status, text, { 'WWW-Authenticate': challenge });
  }
}

interface Token {
  value: string;
  from: 'header' | 'query' | 'cookie';
  /** Read once from the header: publishing and verifying both ask. */
  accessToken: boolean;
}

/** Whether the token says it is an RFC 9068 access token (`typ: at+jwt`). */
function isAccessToken(token: string): boolean {
  try {
    const typ = decodeProtectedHeader(token).typ;
    return typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ);
  } catch {
    return false;
  }
}
