import type { IncomingMessage } from 'http';
import { HttpError } from './http-util';

/** Largest body of a `QUERY` subscription (selectors only: the same order as a long URL). */
export const MAX_QUERY_BODY = 64 * 1024;

/**
 * The parameters of a subscription sent with the `QUERY` method (protocol 1.0): those of the URL,
 * then those of the `application/x-www-form-urlencoded` body, which lets a subscriber send more
 * selectors than a URL holds. Node's HTTP parser (llhttp) knows `QUERY` on Node 20 and later.
 */
export async function readQueryParameters(req: IncomingMessage, rawQuery: string): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'A QUERY subscription needs an application/x-www-form-urlencoded body');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_QUERY_BODY) throw new HttpError(413, `The body is larger than ${MAX_QUERY_BODY} bytes`, { Connection: 'close' });
    chunks.push(chunk);
  }
  const params = new URLSearchParams(rawQuery);
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.append(name, value);
  return params;
}
