import type { IncomingMessage, ServerResponse } from 'http';
import { HttpError, headerValue } from './http-util';

/** CORS for browsers on other origins: the allowed origins get the headers, preflights an answer. */
export class HubCors {
  constructor(
    private readonly origins: '*' | ReadonlySet<string> | undefined,
    /** `GET, POST, OPTIONS`, with `QUERY` when the hub speaks 1.0. */
    private readonly methods = 'GET, POST, OPTIONS',
  ) {}

  private allows(origin: string | undefined): boolean {
    if (!origin || !this.origins) return false;
    return this.origins === '*' || this.origins.has(origin);
  }

  apply(req: IncomingMessage, res: ServerResponse): void {
    const origin = headerValue(req.headers.origin);
    if (this.origins && this.origins !== '*') res.setHeader('Vary', 'Origin');
    if (!this.allows(origin)) return;
    if (this.origins === '*') {
      res.setHeader('Access-Control-Allow-Origin', '*');
    } else {
      res.setHeader('Access-Control-Allow-Origin', origin!);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Access-Control-Expose-Headers', 'Last-Event-ID, Mercure-Last-Event-ID, WWW-Authenticate');
  }

  /** Answers an `OPTIONS` request; throws 403 for an origin not allowed. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const origin = headerValue(req.headers.origin);
    if (origin !== undefined && !this.allows(origin)) throw new HttpError(403, 'Origin not allowed');
    const requested = headerValue(req.headers['access-control-request-headers']);
    res.writeHead(204, {
      Allow: this.methods,
      ...(origin !== undefined && {
        'Access-Control-Allow-Methods': this.methods,
        'Access-Control-Allow-Headers':
          requested && /^[\w\-, ]+$/.test(requested) ? requested : 'Authorization, Cache-Control, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      }),
    });
    res.end();
  }
}
