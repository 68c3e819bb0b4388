import { Pool } from 'undici';
import { DEFAULT_CONNECTIONS } from '../mercure.constants';
import { HubDeliveryError, PublishTransport } from './publish-transport';
import { redactSecrets } from './redact-secrets';
import { FormWriter } from './form-urlencoded';
import { dispatchCollecting, type CollectedResponse, type ResponseReceiver } from './response-collector';
import type { TokenProvider } from './token-provider';
import { Update } from './update';

export interface HttpTransportOptions {
  /** The hub's publish endpoint, e.g. `https://hub.example.com/.well-known/mercure`. */
  url: string;
  /** Returns the publisher JWT; no `Authorization` header is sent without one. */
  token?: TokenProvider;
  /**
   * Limit in milliseconds for connecting, then for the response headers, then for the body
   * (default 5000). Undici checks the last two with a resolution of about half a second.
   */
  timeout?: number;
  /** Keep-alive connections to the hub (default `DEFAULT_CONNECTIONS`, 32). */
  connections?: number;
}

const DEFAULT_TIMEOUT = 5000;
/** How much of a hub's answer goes into error messages and `HubDeliveryError.body`. */
const MESSAGE_BODY_LIMIT = 200;
const STORED_BODY_LIMIT = 2000;

/**
 * Encodes an update as the `application/x-www-form-urlencoded` body of a publish request, with the
 * fields in the order Symfony's publisher uses (some hubs and proxies log or sign the raw body):
 * every `topic`, `data` (always, even empty), `private=on` when private, then `id`, `type` and
 * `retry` when set.
 */
export function encodeUpdate(update: Update): string {
  // The body is ASCII: every other character is percent-encoded.
  return encodeUpdateBody(update).toString('latin1');
}

/** `encodeUpdate()` as the bytes sent. */
export function encodeUpdateBody(update: Update): Buffer {
  const form = FORM.start();
  for (const topic of update.topics) {
    form.field('topic', topic);
  }
  form.field('data', update.data);
  if (update.private) {
    form.field('private', 'on');
  }
  if (update.id !== undefined) {
    form.field('id', update.id);
  }
  if (update.type !== undefined) {
    form.field('type', update.type);
  }
  if (update.retry !== undefined) {
    form.field('retry', String(update.retry));
  }
  return form.finish();
}

/** Bodies are written one at a time, synchronously: one writer (and its room) serves them all. */
const FORM = new FormWriter();

/**
 * Publishes to a hub over HTTP (`POST`, form-encoded, bearer token), on a pool of keep-alive
 * connections so a burst of updates does not pay a TCP/TLS handshake each.
 *
 * It makes exactly one attempt per `send()`; retries are the queue's business. Failures reject with
 * a `HubDeliveryError`: network errors, timeouts, 5xx and 429 are retryable, other answers are not.
 */
export class HttpTransport implements PublishTransport {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly hub: HubTarget;
  /**
   * The last token seen, the promise it came in (fulfilled), and the request headers carrying it:
   * the same list (undici copies it) for as long as the token does not change.
   */
  private authorized: { promise: Promise<string>; readonly token: string; readonly headers: readonly string[] } | undefined;

  constructor(private readonly options: HttpTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error('The Mercure publish URL is not a valid absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`The Mercure publish URL must use http or https, not ${url.protocol}`);
    }
    const timeout = positive(options.timeout, DEFAULT_TIMEOUT, 'timeout');
    this.path = `${url.pathname}${url.search}`;
    this.hub = { displayUrl: `${url.origin}${url.pathname}`, timeout };
    this.pool = new Pool(url.origin, {
      connections: positive(options.connections, DEFAULT_CONNECTIONS, 'connections'),
      // One request per connection at a time: a publish is not idempotent, so no pipelining.
      pipelining: 1,
      connect: { timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  send(update: Update): Promise<string> {
    const body = encodeUpdateBody(update);
    return new Promise<string>((resolve, reject) => {
      const provider = this.options.token;
      if (provider === undefined) {
        this.post(new Attempt(this.hub, undefined, resolve, reject), body, FORM_HEADERS);
        return;
      }
      let pending: Promise<string>;
      try {
        pending = provider();
      } catch (error) {
        reject(this.tokenError(error));
        return;
      }
      const known = this.authorized;
      if (known !== undefined && pending === known.promise) {
        // The provider handed back the promise it gave last time, already fulfilled (a fixed or
        // cached token): its value cannot have changed, no need to wait a turn for it.
        this.post(new Attempt(this.hub, known.token, resolve, reject), body, known.headers);
        return;
      }
      Promise.resolve(pending).then(
        (token) => {
          const authorized = this.authorize(pending, token);
          this.post(new Attempt(this.hub, token, resolve, reject), body, authorized.headers);
        },
        (error: unknown) => reject(this.tokenError(error)),
      );
    });
  }

  private post(attempt: Attempt, body: Buffer, headers: readonly string[]): void {
    try {
      // The whole answer is read: an unread body would keep the connection from the pool.
      dispatchCollecting(this.pool, { method: 'POST', path: this.path, headers: headers as string[], body }, attempt);
    } catch (error) {
      attempt.failed(error as Error);
    }
  }

  private authorize(promise: Promise<string>, token: string): NonNullable<HttpTransport['authorized']> {
    const known = this.authorized;
    if (known !== undefined && known.token === token) {
      known.promise = promise;
      return known;
    }
    this.authorized = { promise, token, headers: Object.freeze([...FORM_HEADERS, 'authorization', `Bearer ${token}`]) };
    return this.authorized;
  }

  /** Waits for the requests in flight, then closes the connections. */
  async close(): Promise<void> {
    if (!this.pool.closed) {
      await this.pool.close();
    }
  }

  private tokenError(error: unknown): HubDeliveryError {
    // Nothing was sent, so trying again is harmless, and a rotating source may recover.
    return new HubDeliveryError(
      `Could not get the publisher token for Mercure hub ${this.hub.displayUrl}: ${(error as Error)?.message ?? error}`,
      true,
    );
  }
}

/** What errors say about the hub: safe to show in logs. */
interface HubTarget {
  /** The URL without credentials or query string. */
  readonly displayUrl: string;
  readonly timeout: number;
}

/**
 * One request: hears the answer (or undici's error) and settles the promise `send()` returned.
 * A plain object rather than closures and a promise per request.
 */
class Attempt implements ResponseReceiver {
  constructor(
    private readonly hub: HubTarget,
    readonly token: string | undefined,
    private readonly resolve: (id: string) => void,
    private readonly reject: (error: HubDeliveryError) => void,
  ) {}

  received(response: CollectedResponse): void {
    let id: string;
    try {
      id = idFromAnswer(this.hub, response, this.token);
    } catch (error) {
      this.reject(error as HubDeliveryError);
      return;
    }
    this.resolve(id);
  }

  failed(error: Error): void {
    this.reject(networkError(this.hub, error));
  }
}

// Frozen: shared by every request (undici copies headers, and must never add to these).
const FORM_HEADERS: readonly string[] = Object.freeze(['content-type', 'application/x-www-form-urlencoded']);

/** The hub's answer to an attempt: the id it assigned, or a `HubDeliveryError` thrown. */
function idFromAnswer(hub: HubTarget, response: CollectedResponse, token: string | undefined): string {
  const { statusCode, headers } = response;
  let text = response.text;

  // The reference hub answers 200; any 2xx means the update was accepted.
  if (statusCode >= 200 && statusCode < 300) {
    return text;
  }
  const retryable = statusCode >= 500 || statusCode === 429;
  // A hub (or a proxy) may echo the request, token included: it never goes further than here.
  text = redactSecrets(text, [token]);
  const excerpt = text.length > MESSAGE_BODY_LIMIT ? `${text.slice(0, MESSAGE_BODY_LIMIT)}…` : text;
  throw new HubDeliveryError(
    `Mercure hub ${hub.displayUrl} answered ${statusCode}${excerpt.trim() ? `: ${excerpt.trim()}` : ''}`,
    retryable,
    statusCode,
    text.slice(0, STORED_BODY_LIMIT),
    retryable ? parseRetryAfter(headers['retry-after']) : undefined,
  );
}

/** Undici's error, as the `HubDeliveryError` `send()` rejects with. */
function networkError(hub: HubTarget, error: unknown): HubDeliveryError {
  const code: string | undefined = (error as { code?: string })?.code;
  if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') {
    return new HubDeliveryError(`The transport to Mercure hub ${hub.displayUrl} is closed`, false);
  }
  const reason = TIMEOUT_CODES.has(code ?? '')
    ? `timed out after ${hub.timeout} ms (${code})`
    : `${(error as Error)?.message ?? error}${code && !String((error as Error)?.message).includes(code) ? ` (${code})` : ''}`;
  return new HubDeliveryError(`Mercure hub ${hub.displayUrl} is unreachable: ${reason}`, true);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) {
    return undefined;
  }
  if (/^\d+$/.test(raw)) {
    return Number(raw) * 1000;
  }
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`The Mercure delivery option ${name} must be a positive number`);
  }
  return value;
}
