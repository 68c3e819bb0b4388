import { randomUUID } from 'crypto';

/** An update as the hub stores and dispatches it: validated, with its id assigned. */
export interface HubUpdate {
  readonly id: string;
  /** The first is the canonical topic, the others are alternates. */
  readonly topics: readonly string[];
  readonly data: string;
  readonly private: boolean;
  /** The SSE `event` field. */
  readonly type?: string;
  /** The SSE `retry` field, in milliseconds. */
  readonly retry?: number;
}

/** What a publisher supplies, over HTTP or in-process. */
export interface UpdateInput {
  topics: readonly string[];
  data?: string;
  private?: boolean;
  id?: string;
  type?: string;
  /** A number, or the raw string of an HTTP form field. */
  retry?: number | string;
}

/** Most topics one update may carry. */
export const MAX_TOPICS_PER_UPDATE = 1000;

/** An invalid update; the hub answers 400 with the message. */
export class InvalidUpdateError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUpdateError';
  }
}

const LINE_BREAK_OR_NUL = /[\r\n\0]/;

export function generateUpdateId(): string {
  return `urn:uuid:${randomUUID()}`;
}

/**
 * Applies the publication rules: at least one (non-empty) topic and at most
 * `MAX_TOPICS_PER_UPDATE`; `retry` an unsigned integer; `id` and `type` without CR, LF (nor NUL,
 * which SSE clients reject in ids); an `id` must not start with `#` (the spec reserves those for
 * hub-generated ids). Generates a `urn:uuid:` id when none is given.
 */
export function validateUpdate(input: UpdateInput): HubUpdate {
  const topics = input.topics;
  if (!Array.isArray(topics) || topics.length === 0) {
    throw new InvalidUpdateError('Missing "topic" parameter');
  }
  if (topics.length > MAX_TOPICS_PER_UPDATE) {
    throw new InvalidUpdateError(`Too many topics: at most ${MAX_TOPICS_PER_UPDATE} per update`);
  }
  for (const topic of topics) {
    if (typeof topic !== 'string' || topic === '') {
      throw new InvalidUpdateError('Invalid "topic" parameter: topics must be non-empty strings');
    }
  }
  const data = input.data ?? '';
  if (typeof data !== 'string') throw new InvalidUpdateError('Invalid "data" parameter');

  let id: string | undefined;
  if (input.id !== undefined && input.id !== '') {
    if (typeof input.id !== 'string') throw new InvalidUpdateError('Invalid "id" parameter');
    if (input.id.startsWith('#')) {
      throw new InvalidUpdateError('Invalid "id" parameter: it must not start with "#"');
    }
    if (LINE_BREAK_OR_NUL.test(input.id)) {
      throw new InvalidUpdateError('Invalid "id" parameter: it must not contain CR, LF or NUL');
    }
    id = input.id;
  }

  let type: string | undefined;
  if (input.type !== undefined && input.type !== '') {
    if (typeof input.type !== 'string') throw new InvalidUpdateError('Invalid "type" parameter');
    if (LINE_BREAK_OR_NUL.test(input.type)) {
      throw new InvalidUpdateError('Invalid "type" parameter: it must not contain CR, LF or NUL');
    }
    type = input.type;
  }

  let retry: number | undefined;
  if (input.retry !== undefined && input.retry !== '') {
    retry = parseRetry(input.retry);
  }

  return {
    id: id ?? generateUpdateId(),
    topics: Object.freeze([...topics]),
    data,
    private: input.private === true,
    ...(type !== undefined && { type }),
    ...(retry !== undefined && { retry }),
  };
}

function parseRetry(value: number | string): number {
  let retry: number;
  if (typeof value === 'number') {
    retry = value;
  } else if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) {
    retry = Number(value);
  } else {
    throw new InvalidUpdateError('Invalid "retry" parameter: it must be an unsigned integer');
  }
  if (!Number.isSafeInteger(retry) || retry < 0) {
    throw new InvalidUpdateError('Invalid "retry" parameter: it must be an unsigned integer');
  }
  return retry;
}
