import type { IncomingMessage } from 'http';
import { FakeHub, HubRequest, startFakeHub } from './fake-hub';

export type ReceivedPublish = HubRequest;

export interface Answer {
  status: number;
  body?: string;
  delayMs?: number;
  /** The answer waits for this promise (a gate the test opens). */
  hold?: Promise<void>;
  /** Destroys the connection instead of answering (after `delayMs` if set): a hub dropping connections. */
  drop?: boolean;
  /** Never answers: the connection stays open until the client gives up (or the sink stops). */
  stall?: boolean;
}
export type Responder = (request: ReceivedPublish, index: number) => Answer;

/** A hub answering every publish after `ms` (a slow hub). */
export const slowly = (ms: number): Responder => () => ({ status: 200, delayMs: ms });
/** A hub cutting every connection before answering. */
export const dropping: Responder = () => ({ status: 200, drop: true });
/** A hub that takes publishes and never answers them. */
export const stalling: Responder = () => ({ status: 200, stall: true });

/**
 * The fake hub of `fake-hub.ts` as the e2e tests use it: answers by status (200 with a fresh
 * `urn:uuid:` id unless told otherwise), keeps the accepted publishes, and lets a test wait for them.
 * A publish counts as accepted when its 200 goes out on a live connection: one whose client went
 * away meanwhile (killed, timed out) or that the sink dropped or stalled is not kept, as the client
 * could not know it was accepted and will send it again. Refusing connections is `stop()`.
 */
export class HubSink {
  /** Publishes answered 200, in answer order. */
  readonly received: ReceivedPublish[] = [];
  /** Every request answered, whatever the status. */
  answered = 0;
  /** Headers of the last request, whatever the answer. */
  lastHeaders?: IncomingMessage['headers'];
  private hub?: FakeHub;
  private waiters: { count: number; resolve: () => void }[] = [];
  private counter = 0;

  constructor(private responder: Responder = () => ({ status: 200 })) {}

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** Starts listening, on `port` when given (to come back on the same address after `stop()`). */
  async start(port = 0): Promise<string> {
    this.hub = await startFakeHub((request, res) => this.answer(request, res), port);
    return this.url;
  }

  get url(): string {
    return this.hub!.url;
  }

  /** Resolves once `count` publishes have been accepted in all. */
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

  /** The accepted publishes: topics, data parsed as JSON, private flag. */
  updates(): { topics: string[]; data: unknown; private: boolean }[] {
    return this.received.map((r) => ({
      topics: r.fields.filter(([k]) => k === 'topic').map(([, v]) => v),
      data: JSON.parse(r.fields.find(([k]) => k === 'data')?.[1] ?? 'null'),
      private: r.fields.some(([k]) => k === 'private'),
    }));
  }

  async stop(): Promise<void> {
    const hub = this.hub;
    this.hub = undefined;
    await hub?.close();
  }

  private async answer(request: ReceivedPublish, res: import('http').ServerResponse): Promise<void> {
    const index = this.counter++;
    this.lastHeaders = request.headers;
    const answer = this.responder(request, index);
    let gone = false;
    res.on('close', () => (gone = !res.writableFinished));
    if (answer.stall) return;
    if (answer.hold) await answer.hold;
    else if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if (answer.drop) {
      res.socket?.destroy();
      return;
    }
    if (gone) return;
    this.answered++;
    if (answer.status === 200) {
      this.received.push(request);
      this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
    }
    res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
    res.end(answer.body ?? (answer.status === 200 ? `urn:uuid:sink-${index}` : 'error'));
  }
}
