import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

export interface ReceivedPublish {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The form fields in wire order, e.g. [['topic', '...'], ['data', '...']]. */
  fields: [string, string][];
}

interface Answer {
  status: number;
  body?: string;
  delayMs?: number;
  /** The answer waits for this promise (a gate the test opens). */
  hold?: Promise<void>;
}
type Responder = (request: ReceivedPublish, index: number) => Answer;

/**
 * A real HTTP server standing in for a Mercure hub: records each publish request and answers
 * 200 with a fresh `urn:uuid:` id unless told otherwise.
 */
export class HubSink {
  /** Publishes answered 200, in arrival order. */
  readonly received: ReceivedPublish[] = [];
  /** Every request answered, whatever the status. */
  answered = 0;
  /** Headers of the last request, whatever the answer. */
  lastHeaders?: IncomingMessage['headers'];
  private server?: Server;
  private waiters: { count: number; resolve: () => void }[] = [];
  private counter = 0;

  constructor(private responder: Responder = () => ({ status: 200 })) {}

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/.well-known/mercure`;
  }

  /** Resolves once `count` requests have been received in all. */
  waitForCount(count: number, timeoutMs = 10000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`hub sink: expected ${count} publishes, got ${this.received.length}`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Data of the successfully answered publishes, parsed as JSON, with their topics. */
  updates(): { topics: string[]; data: unknown; private: boolean }[] {
    return this.received.map((r) => ({
      topics: r.fields.filter(([k]) => k === 'topic').map(([, v]) => v),
      data: JSON.parse(r.fields.find(([k]) => k === 'data')?.[1] ?? 'null'),
      private: r.fields.some(([k]) => k === 'private'),
    }));
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedPublish = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        fields: [...new URLSearchParams(body).entries()],
      };
      const index = this.counter++;
      this.lastHeaders = req.headers;
      const answer = this.responder(request, index);
      const reply = () => {
        this.answered++;
        if (answer.status === 200) {
          this.received.push(request);
          this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
        }
        res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
        res.end(answer.body ?? (answer.status === 200 ? `urn:uuid:sink-${index}` : 'error'));
      };
      if (answer.hold) void answer.hold.then(reply);
      else if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  }
}
