import type { IncomingMessage } from 'http';
import type { UpdateInput } from './hub-update';

/** The publisher went away before its body arrived: nothing to answer, nothing to worry about. */
export class RequestAbortedError extends Error {
  constructor() {
    super('The request was aborted');
    this.name = 'RequestAbortedError';
  }
}

/** A publish body the hub cannot take: 400 (not a form, not UTF-8, bad encoding) or 413 (too large). */
export class PublishBodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'PublishBodyError';
  }
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * The fields of an `application/x-www-form-urlencoded` publish body, strictly: the bytes must be
 * UTF-8 and every `%` a valid escape of UTF-8, else 400 (a lenient parser would alter the data).
 */
export function parsePublishForm(body: Buffer | string): UpdateInput {
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    throw new PublishBodyError(400, 'The body is not valid UTF-8');
  }
  const fields = new Map<string, string[]>();
  if (text !== '') {
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeField(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decodeField(pair.slice(eq + 1));
      let values = fields.get(name);
      if (!values) fields.set(name, (values = []));
      values.push(value);
    }
  }
  const first = (name: string) => fields.get(name)?.[0];
  return {
    topics: fields.get('topic') ?? [],
    data: first('data'),
    private: fields.has('private'),
    id: first('id'),
    type: first('type'),
    retry: first('retry'),
  };
}

function decodeField(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return spaced;
  if (BAD_PERCENT.test(spaced)) throw new PublishBodyError(400, 'The body has an invalid percent-encoding');
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new PublishBodyError(400, 'The body has percent-encoded bytes that are not UTF-8');
  }
}

/** Only UTF-8 is accepted: a form in another charset would be decoded wrongly. */
function checkCharset(contentType: string): void {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  if (match && !/^utf-?8$/i.test(match[1])) {
    throw new PublishBodyError(400, 'The body must be UTF-8 (charset=utf-8 or none)');
  }
}

/**
 * Reads the publish form of a request, from wherever it is:
 * - the request stream itself, when nothing read it before (limit: `maxBodySize`, else 413);
 * - `req.rawBody`, when a framework kept the raw bytes (Nest with `rawBody: true`);
 * - `req.body`, when a body parser already parsed it (e.g. Nest's default `urlencoded` parser, whose
 *   own limits then apply first).
 */
export async function readPublishForm(req: IncomingMessage, maxBodySize: number): Promise<UpdateInput> {
  const header = req.headers['content-type'] ?? '';
  const contentType = header.split(';')[0].trim().toLowerCase();
  if (contentType !== FORM_TYPE) {
    throw new PublishBodyError(400, `The Content-Type must be ${FORM_TYPE}`);
  }
  checkCharset(header);
  const withBody = req as IncomingMessage & { rawBody?: unknown; body?: unknown; _body?: boolean };
  if (Buffer.isBuffer(withBody.rawBody)) {
    if (withBody.rawBody.length > maxBodySize) throw tooLarge(maxBodySize);
    return parsePublishForm(withBody.rawBody);
  }
  if (withBody._body === true || (req.readableEnded && withBody.body !== undefined)) {
    return fromParsedBody(withBody.body);
  }
  return parsePublishForm(await readBody(req, maxBodySize));
}

function tooLarge(limit: number): PublishBodyError {
  return new PublishBodyError(413, `The body is larger than ${limit} bytes`);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finish(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(req.destroyed ? new RequestAbortedError() : error);
    const onClose = () => finish(new RequestAbortedError());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function fromParsedBody(body: unknown): UpdateInput {
  if (!body || typeof body !== 'object') return { topics: [] };
  const fields = body as Record<string, unknown>;
  const one = (name: string): string | undefined => {
    let value = fields[name];
    if (Array.isArray(value)) value = value[0];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new PublishBodyError(400, `Invalid "${name}" parameter`);
    return value;
  };
  const rawTopics = fields.topic;
  const topics = rawTopics === undefined ? [] : Array.isArray(rawTopics) ? rawTopics : [rawTopics];
  if (!topics.every((t): t is string => typeof t === 'string')) {
    throw new PublishBodyError(400, 'Invalid "topic" parameter');
  }
  return {
    topics,
    data: one('data'),
    private: Object.prototype.hasOwnProperty.call(fields, 'private'),
    id: one('id'),
    type: one('type'),
    retry: one('retry'),
  };
}
