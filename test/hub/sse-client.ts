import * as http from 'http';

/** One dispatched SSE event, or a comment line. */
export type SseMessage =
  | { kind: 'event'; id?: string; event?: string; retry?: number; data: string }
  | { kind: 'comment'; text: string };

export type SseEvent = Extract<SseMessage, { kind: 'event' }>;

/**
 * A minimal `text/event-stream` client over node:http, parsing per the HTML SSE rules, that keeps
 * everything it receives in order (events and comments) and the raw text.
 */
export class SseConnection {
  readonly messages: SseMessage[] = [];
  raw = '';
  /** Resolves when the server ends the stream (or the connection closes). */
  readonly ended: Promise<void>;
  private readIndex = 0;
  private waiters: (() => void)[] = [];
  private buffer = '';
  private dataLines: string[] | undefined;
  private event: { id?: string; event?: string; retry?: number } = {};
  private isEnded = false;
  private resolveEnded!: () => void;

  constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    private readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const end = () => {
      if (this.isEnded) return;
      this.isEnded = true;
      this.resolveEnded();
      this.wake();
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
    req.on('error', end);
  }

  get isClosed(): boolean {
    return this.isEnded;
  }

  /** The next message (event or comment); rejects if the stream ends first. */
  async next(): Promise<SseMessage> {
    for (;;) {
      if (this.readIndex < this.messages.length) return this.messages[this.readIndex++];
      if (this.isEnded) throw new Error(`The stream ended; received so far: ${JSON.stringify(this.raw)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The next event, skipping comments. */
  async nextEvent(): Promise<SseEvent> {
    for (;;) {
      const message = await this.next();
      if (message.kind === 'event') return message;
    }
  }

  /** The next `count` events. */
  async events(count: number): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    while (events.length < count) events.push(await this.nextEvent());
    return events;
  }

  /** The next comment, skipping events. */
  async nextComment(): Promise<string> {
    for (;;) {
      const message = await this.next();
      if (message.kind === 'comment') return message.text;
    }
  }

  close(): void {
    this.req.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private feed(chunk: string): void {
    this.raw += chunk;
    this.buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
    this.wake();
  }

  private line(line: string): void {
    if (line === '') {
      if (this.dataLines !== undefined) {
        this.messages.push({ kind: 'event', ...this.event, data: this.dataLines.join('\n') });
      }
      this.dataLines = undefined;
      this.event = {};
      return;
    }
    if (line.startsWith(':')) {
      this.messages.push({ kind: 'comment', text: line.slice(1) });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        (this.dataLines ??= []).push(value);
        break;
      case 'id':
        this.event.id = value;
        break;
      case 'event':
        this.event.event = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.event.retry = Number(value);
        break;
    }
  }
}

export interface SseResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Opens an SSE connection; resolves once the response headers arrived. A non-200 answer resolves
 * to its status, headers and body instead.
 */
export function openSse(
  url: string,
  headers: Record<string, string> = {},
  options: { method?: string; body?: string } = {},
): Promise<SseConnection | SseResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: { Accept: 'text/event-stream', ...headers }, agent: false });
    req.end(options.body);
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        return;
      }
      resolve(new SseConnection(res.statusCode, res.headers, req, res));
    });
  });
}

/** Opens an SSE connection that must succeed. */
export async function subscribe(
  url: string,
  headers: Record<string, string> = {},
  options: { method?: string; body?: string } = {},
): Promise<SseConnection> {
  const result = await openSse(url, headers, options);
  if (!(result instanceof SseConnection)) {
    throw new Error(`Expected a stream, got ${result.status}: ${result.body}`);
  }
  // The hub's opening comment: the subscription is registered once it is sent.
  await result.nextComment();
  return result;
}
