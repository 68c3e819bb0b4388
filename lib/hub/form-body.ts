import type { IncomingMessage } from 'http';
import type { UpdateInput } from './hub-update';

/** A publish body the hub cannot take: 400 (not a form) or 413 (too large). */
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

/** The fields of an `application/x-www-form-urlencoded` publish body. */
export function parsePublishForm(body: string): UpdateInput {
  const form = new URLSearchParams(body);
  return {
    topics: form.getAll('topic'),
    data: form.get('data') ?? undefined,
    private: form.has('private'),
    id: form.get('id') ?? undefined,
    type: form.get('type') ?? undefined,
    retry: form.get('retry') ?? undefined,
  };
}

/**
 * Reads the publish form of a request, from wherever it is:
 * - the request stream itself, when nothing read it before (limit: `maxBodySize`, else 413);
 * - `req.rawBody`, when a framework kept the raw bytes (Nest with `rawBody: true`);
 * - `req.body`, when a body parser already parsed it (e.g. Nest's default `urlencoded` parser, whose
 *   own limits then apply first).
 */
export async function readPublishForm(req: IncomingMessage, maxBodySize: number): Promise<UpdateInput> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== FORM_TYPE) {
    throw new PublishBodyError(400, `The Content-Type must be ${FORM_TYPE}`);
  }
  const withBody = req as IncomingMessage & { rawBody?: unknown; body?: unknown; _body?: boolean };
  if (Buffer.isBuffer(withBody.rawBody)) {
    if (withBody.rawBody.length > maxBodySize) throw tooLarge(maxBodySize);
    return parsePublishForm(withBody.rawBody.toString('utf8'));
  }
  if (withBody._body === true || (req.readableEnded && withBody.body !== undefined)) {
    return fromParsedBody(withBody.body);
  }
  return parsePublishForm(await readBody(req, maxBodySize));
}

function tooLarge(limit: number): PublishBodyError {
  return new PublishBodyError(413, `The body is larger than ${limit} bytes`);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise<string>((resolve, reject) => {
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
      else resolve(Buffer.concat(chunks, size).toString('utf8'));
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
    const onError = (error: Error) => finish(error);
    const onClose = () => finish(new Error('The request was aborted'));
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
