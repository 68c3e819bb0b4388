import type { IncomingMessage } from 'http';
import type { HubConfig } from './hub-config';
import type { MercureHubLogger } from './hub-logger';
import type { HubGrants, HubProtocol } from './hub-protocol';
import { HttpError, headerValue, loggable, readCookie } from './http-util';
import { JwtVerifier, TokenError } from './jwt';
import type { TopicSelectorStore } from './topic-selector';

const UNAUTHORIZED = 'Unauthorized';

/**
 * Who may publish and subscribe. Every refusal is a bare 401 for the client (as the reference hub
 * answers) and one debug line with the reason for the operator, never with the token.
 */
export class HubAuthorization {
  constructor(
    private readonly config: HubConfig,
    private readonly protocol: HubProtocol,
    private readonly selectors: TopicSelectorStore,
    private readonly logger: MercureHubLogger,
  ) {}

  /** The grants of a publisher allowed to publish at all (some `publish` selector). */
  async publisher(req: IncomingMessage, query: URLSearchParams): Promise<HubGrants> {
    const token = this.token(req, query, 'publisher');
    if (token === undefined) throw this.refuse('publisher', 'no token');
    if (!this.config.publisherJwt) throw this.refuse('publisher', 'publishing over HTTP is off (no publisherJwt)');
    const grants = await this.verify(this.config.publisherJwt, token, 'publisher');
    if (!grants.publish || grants.publish.length === 0) throw this.refuse('publisher', 'missing publish claim');
    return grants;
  }

  /** Refuses an update one of whose topics the publisher's selectors do not match. */
  checkPublish(grants: HubGrants, topics: readonly string[]): void {
    const topic = this.selectors.firstUnmatched(grants.publish ?? [], topics);
    if (topic !== undefined) throw this.refuse('publisher', `not allowed to publish to topic ${loggable(topic)}`);
  }

  /** The subscriber's grants; undefined for an anonymous subscriber (when the hub allows them). */
  async subscriber(req: IncomingMessage, query: URLSearchParams): Promise<HubGrants | undefined> {
    const token = this.token(req, query, 'subscriber');
    if (token === undefined) {
      if (this.config.anonymous) return undefined;
      throw this.refuse('subscriber', 'no token and anonymous is off');
    }
    if (!this.config.subscriberJwt) throw this.refuse('subscriber', 'no subscriberJwt to verify tokens');
    return this.verify(this.config.subscriberJwt, token, 'subscriber');
  }

  /** The subscriptions API: a subscriber token whose `subscribe` selectors match the path. */
  async subscriptionsReader(req: IncomingMessage, query: URLSearchParams, path: string): Promise<void> {
    const token = this.token(req, query, 'subscriber');
    if (token === undefined || !this.config.subscriberJwt) throw this.refuse('subscriber', 'no token');
    const grants = await this.verify(this.config.subscriberJwt, token, 'subscriber');
    if (!grants.subscribe || !grants.subscribe.some((s) => this.selectors.matches(s, path))) {
      throw this.refuse('subscriber', `not allowed to read ${loggable(path)}`);
    }
  }

  /**
   * The token, from the `Authorization: Bearer` header, else the query parameter the protocol
   * allows, else the cookie; for publishing, the cookie counts only from an allowed origin (CSRF).
   */
  private token(req: IncomingMessage, query: URLSearchParams, role: Role): string | undefined {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer +(\S+) *$/i.exec(header);
      if (!match) throw this.refuse(role, 'Authorization header is not "Bearer <token>"');
      return match[1];
    }
    const parameter = this.protocol.tokenQueryParameter;
    const fromQuery = parameter === undefined ? null : query.get(parameter);
    if (fromQuery !== null) return fromQuery;
    const cookie = readCookie(req.headers.cookie, this.config.cookieName);
    if (cookie === undefined) return undefined;
    if (role === 'publisher' && !this.isPublishOriginAllowed(req)) {
      throw this.refuse(role, 'cookie sent from an origin not in publishOrigins');
    }
    return cookie;
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

  private async verify(verifier: JwtVerifier, token: string, role: Role): Promise<HubGrants> {
    try {
      return this.protocol.grants(await verifier.verifyPayload(token));
    } catch (error) {
      if (error instanceof TokenError) throw this.refuse(role, `token refused: ${error.reason}`);
      throw error;
    }
  }

  private refuse(role: Role, reason: string): HttpError {
    this.logger.debug?.(`401 for a ${role}: ${reason}`);
    return new HttpError(401, UNAUTHORIZED);
  }
}

type Role = 'publisher' | 'subscriber';
