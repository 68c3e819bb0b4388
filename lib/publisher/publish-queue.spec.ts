import type { LoggerService } from '@nestjs/common';
import { HttpTransport } from './http-transport';
import { accept, FakeHub, field, freePort, HubRequest, startFakeHub } from '../../test/support/fake-hub';
import { PublishQueue } from './publish-queue';
import { HubDeliveryError, PublishTransport } from './publish-transport';
import { Update } from './update';

const TOKEN = 'header.payload.secret-signature';

type FakeLogger = { [K in 'log' | 'error' | 'warn' | 'debug' | 'verbose']: jest.Mock };

function fakeLogger(): FakeLogger & LoggerService {
  return { log: jest.fn(), error: jest.fn(), warn: jest.fn(), debug: jest.fn(), verbose: jest.fn() };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits (without asserting any duration) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(condition()).toBe(true);
}

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** A transport whose sends stay pending until the test settles them. */
class ManualTransport implements PublishTransport {
  readonly calls: { update: Update; resolve: (id: string) => void; reject: (error: unknown) => void }[] = [];
  send(update: Update): Promise<string> {
    return new Promise((resolve, reject) => this.calls.push({ update, resolve, reject }));
  }
  sent(): string[] {
    return this.calls.map((call) => call.update.data);
  }
}

describe('PublishQueue over HTTP', () => {
  let hub: FakeHub;
  let queue: PublishQueue | undefined;
  let logger: ReturnType<typeof fakeLogger>;

  beforeEach(async () => {
    hub = await startFakeHub();
    logger = fakeLogger();
  });

  afterEach(async () => {
    await queue?.close();
    queue = undefined;
    await hub.close();
  });

  function httpQueue(options: { retries?: number; concurrency?: number; timeout?: number; url?: string } = {}) {
    queue = new PublishQueue(
      new HttpTransport({ url: options.url ?? hub.url, token: async () => TOKEN, timeout: options.timeout, connections: 8 }),
      { hubName: 'default', retries: options.retries, retryDelay: 1, maxRetryDelay: 5, concurrency: options.concurrency, logger },
    );
    return queue;
  }

  /** Answers with the given statuses in turn, then accepts. */
  function answer(...statuses: number[]) {
    const accepted: string[] = [];
    hub.handler = (request, res) => {
      const status = statuses.shift();
      if (status !== undefined) {
        res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {});
        res.end(`refused with ${status}`);
        return;
      }
      accepted.push(field(request, 'data')[0]);
      return accept(request, res);
    };
    return accepted;
  }

  it.each([[[503]], [[503, 502, 500]], [[429]]])('retries %j then delivers once', async (statuses) => {
    const accepted = answer(...statuses);
    const id = await httpQueue().enqueue(new Update('https://example.com/books/1', 'payload'));
    expect(id).toMatch(/^urn:uuid:test-/);
    expect(hub.requests).toHaveLength(statuses.length + 1);
    expect(accepted).toEqual(['payload']);
    expect(hub.requests.every((r) => r.body === hub.requests[0].body)).toBe(true);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('closes with thousands of updates waiting on one topic while the hub is down, giving each up once', async () => {
    hub.handler = (_request, res) => {
      res.writeHead(503);
      res.end('down');
    };
    const q = new PublishQueue(new HttpTransport({ url: hub.url, token: async () => TOKEN }), {
      hubName: 'default',
      retries: 1_000,
      retryDelay: 60_000,
      maxRetryDelay: 60_000,
      logger,
    });
    queue = q;
    const count = 5_000; // settled one after the other once closed: a recursion this deep overflowed the stack
    const outcomes = Array.from({ length: count }, (_, i) => rejection(q.enqueue(new Update('https://example.com/books/1', String(i)))));
    await until(() => hub.requests.length >= 1); // the first is waiting for its retry, the others behind it
    await q.close();
    const errors = await Promise.all(outcomes);
    expect(errors.every((e) => e instanceof HubDeliveryError && /closed before the update was delivered/.test(e.message))).toBe(true);
    expect(q.stats).toMatchObject({ pending: 0 });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining(`${count} Mercure update(s) for hub "default" were dropped when the queue closed`));
  });

  it('closes with thousands of updates on distinct topics waiting for a slot, giving each up once', async () => {
    let answerFirst!: () => void;
    hub.handler = (_request, res) => {
      answerFirst = () => res.writeHead(200).end('urn:uuid:first');
    };
    const q = new PublishQueue(new HttpTransport({ url: hub.url, token: async () => TOKEN }), { hubName: 'default', concurrency: 1, logger });
    queue = q;
    // Each waiter is handed the slot the previous one gives back once closed: a recursion this deep overflowed the stack.
    const count = 9_000;
    const outcomes = Array.from({ length: count }, (_, i) => q.enqueue(new Update(`https://example.com/books/${i}`, String(i))).catch((e: unknown) => e));
    await until(() => hub.requests.length >= 1);
    const closing = q.close();
    answerFirst();
    await closing;
    const results = await Promise.all(outcomes);
    expect(results[0]).toBe('urn:uuid:first');
    expect(results.slice(1).every((e) => e instanceof HubDeliveryError && /closed before the update was delivered/.test(e.message))).toBe(true);
    expect(q.stats).toMatchObject({ pending: 0, delivered: 1, givenUp: count - 1 });
  });

  it('retries after a refused connection, then delivers once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/.well-known/mercure`;
    const http = new HttpTransport({ url });
    let attempts = 0;
    let late: FakeHub | undefined;
    const errors: unknown[] = [];
    const transport: PublishTransport = {
      async send(update) {
        attempts++;
        try {
          return await http.send(update);
        } catch (error) {
          errors.push(error);
          // The hub comes up only after the first attempt failed.
          late ??= await startFakeHub(accept, port);
          throw error;
        }
      },
      close: () => http.close(),
    };
    queue = new PublishQueue(transport, { hubName: 'default', retryDelay: 1, logger });
    try {
      await expect(queue.enqueue(new Update('t', 'x'))).resolves.toMatch(/^urn:uuid:/);
      expect(attempts).toBe(2);
      expect((errors[0] as HubDeliveryError).retryable).toBe(true);
      expect(late!.requests).toHaveLength(1);
    } finally {
      await late?.close();
    }
  });

  it('retries after a timeout', async () => {
    let first = true;
    hub.handler = (request, res) => {
      if (first) {
        first = false; // swallow the first request: the transport times out
        return;
      }
      return accept(request, res);
    };
    await expect(httpQueue({ timeout: 200 }).enqueue(new Update('t', 'x'))).resolves.toMatch(/^urn:uuid:/);
    expect(hub.requests).toHaveLength(2);
  });

  it.each([401, 400, 403])('does not retry %i: one request, one error log, rejection', async (status) => {
    answer(status);
    const q = httpQueue();
    const error = (await rejection(q.enqueue(new Update(['https://example.com/books/1', 'alt'], 'secret data')))) as HubDeliveryError;
    expect(error).toBeInstanceOf(HubDeliveryError);
    expect(error.status).toBe(status);
    await expect(q.drain(5000)).resolves.toBe(true);
    expect(hub.requests).toHaveLength(1);

    expect(logger.error).toHaveBeenCalledTimes(1);
    const message: string = logger.error.mock.calls[0][0];
    expect(message).toContain('"default"');
    expect(message).toContain('https://example.com/books/1');
    expect(message).toContain(String(status));
    expect(message).toContain(`refused with ${status}`);
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain('secret data');
    expect(error.message).not.toContain(TOKEN);
  });

  it('gives up after the configured retries and logs once', async () => {
    answer(503, 503, 503, 503, 503, 503, 503);
    const error = await rejection(httpQueue({ retries: 2 }).enqueue(new Update('t', 'x')));
    expect((error as HubDeliveryError).status).toBe(503);
    expect(hub.requests).toHaveLength(3);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toContain('3 attempt(s)');
  });

  it('keeps per-topic order under concurrency, with random delays and retries', async () => {
    const topics = 12;
    const perTopic = 25;
    const concurrency = 8;
    const inFlight = new Map<string, number>();
    const attempts = new Map<number, number>();
    const accepted: { seq: number; topics: string[] }[] = [];
    let active = 0;
    let maxActive = 0;
    let sameTopicOverlap = 0;

    hub.handler = async (request: HubRequest, res) => {
      const requestTopics = field(request, 'topic');
      const seq = Number(field(request, 'data')[0]);
      active++;
      maxActive = Math.max(maxActive, active);
      for (const topic of requestTopics) {
        const n = (inFlight.get(topic) ?? 0) + 1;
        inFlight.set(topic, n);
        if (n > 1) sameTopicOverlap++;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
      for (const topic of requestTopics) inFlight.set(topic, inFlight.get(topic)! - 1);
      active--;
      const attempt = (attempts.get(seq) ?? 0) + 1;
      attempts.set(seq, attempt);
      if (seq % 7 === 0 && attempt === 1) {
        res.writeHead(503);
        res.end('busy');
        return;
      }
      accepted.push({ seq, topics: requestTopics });
      accept(request, res);
    };

    const q = httpQueue({ concurrency });
    const enqueued: { seq: number; topics: string[] }[] = [];
    const results: Promise<string>[] = [];
    for (let seq = 0; seq < topics * perTopic; seq++) {
      const main = `https://example.com/t/${seq % topics}`;
      // Every fifth update also names the next topic, so it must wait for both.
      const updateTopics = seq % 5 === 0 ? [main, `https://example.com/t/${(seq + 1) % topics}`] : [main];
      enqueued.push({ seq, topics: updateTopics });
      results.push(q.enqueue(new Update(updateTopics, String(seq))));
    }
    expect(q.pending).toBe(topics * perTopic);
    const tailsOf = () => (q as unknown as { tails: Map<string, unknown> }).tails;
    const busyTails = tailsOf();
    await Promise.all(results);

    expect(accepted.map((a) => a.seq).sort((a, b) => a - b)).toEqual(enqueued.map((e) => e.seq));
    for (let t = 0; t < topics; t++) {
      const topic = `https://example.com/t/${t}`;
      const expected = enqueued.filter((e) => e.topics.includes(topic)).map((e) => e.seq);
      const delivered = accepted.filter((a) => a.topics.includes(topic)).map((a) => a.seq);
      expect(delivered).toEqual(expected);
    }
    expect(sameTopicOverlap).toBe(0);
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(concurrency);
    expect(logger.error).not.toHaveBeenCalled();
    expect(q.pending).toBe(0);
    // Emptied, it was replaced: a map as old as the queue kept its entries' garbage (README, performance).
    expect(tailsOf().size).toBe(0);
    expect(tailsOf()).not.toBe(busyTails);
  });

  it('drain resolves false on timeout (logging what is left), then true', async () => {
    let released = false;
    const held: (() => void)[] = [];
    hub.handler = (request, res) => {
      if (released) return accept(request, res);
      held.push(() => accept(request, res));
    };
    const q = httpQueue();
    const results = ['a', 'b', 'c'].map((t) => q.enqueue(new Update(t, t)));
    await until(() => held.length === 3);

    await expect(q.drain(50)).resolves.toBe(false);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain('3 ');
    expect(q.pending).toBe(3);

    released = true;
    held.forEach((answerNow) => answerNow());
    await expect(q.drain(5000)).resolves.toBe(true);
    await expect(Promise.all(results)).resolves.toHaveLength(3);
    expect(q.pending).toBe(0);
    await expect(q.drain(0)).resolves.toBe(true);
  });

  it('retries within retryWindow, then gives up and logs once per incident with a count', async () => {
    let down = true;
    hub.handler = (_request, res) => {
      res.writeHead(down ? 503 : 200);
      res.end(down ? 'down' : 'urn:uuid:ok');
    };
    queue = new PublishQueue(new HttpTransport({ url: hub.url }), { hubName: 'default', retryDelay: 10, maxRetryDelay: 20, retryWindow: 300, logger });
    const results = [1, 2, 3, 4, 5].map((n) => rejection(queue!.enqueue(new Update(`t${n}`, 'x'))));
    for (const result of await Promise.all(results)) expect(result).toBeInstanceOf(HubDeliveryError);
    // Several attempts each, then given up: one error line for the five.
    expect(hub.requests.length).toBeGreaterThan(5);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toContain('further ones are counted');
    expect(queue.stats).toEqual({ pending: 0, delivered: 0, givenUp: 5 });

    down = false;
    await queue.enqueue(new Update('t6', 'x'));
    expect(logger.log).toHaveBeenCalledWith(expect.stringContaining('5 update(s) were given up during the incident'), 'Mercure');
    expect(queue.stats).toMatchObject({ delivered: 1, givenUp: 5 });
  });

  it('holds at most maxPending updates and gives up newer ones at once', async () => {
    const transport = new ManualTransport();
    queue = new PublishQueue(transport, { hubName: 'default', maxPending: 2, logger });
    const held = [queue.enqueue(new Update('a', '1')), queue.enqueue(new Update('b', '2'))];
    const refused = (await rejection(queue.enqueue(new Update('c', '3')))) as HubDeliveryError;
    expect(refused.message).toContain('delivery.maxPending');
    expect(transport.sent()).toEqual(['1', '2']);
    transport.calls.forEach((call) => call.resolve('id'));
    await Promise.all(held);
    expect(queue.stats).toMatchObject({ delivered: 2, givenUp: 1 });
  });

  it('close gives up updates waiting for a retry, without an error log per update', async () => {
    hub.handler = (_request, res) => {
      res.writeHead(503, { 'retry-after': '60' });
      res.end('down');
    };
    queue = new PublishQueue(new HttpTransport({ url: hub.url }), {
      hubName: 'default',
      retryDelay: 60_000,
      maxRetryDelay: 60_000,
      retryWindow: 600_000,
      logger,
    });
    const result = rejection(queue.enqueue(new Update('t', 'x')));
    await until(() => hub.requests.length === 1);
    await queue.close();

    const error = (await result) as HubDeliveryError;
    expect(error).toBeInstanceOf(HubDeliveryError);
    expect(error.message).toContain('closed');
    expect(hub.requests).toHaveLength(1);
    expect(logger.error).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    await expect(rejection(queue.enqueue(new Update(['t', 'alt'], 'secret data')))).resolves.toBeInstanceOf(HubDeliveryError);
    expect(queue.pending).toBe(0);
    // Refused because closed: a warning naming the topic, never the data.
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.warn.mock.calls[1][0]).toBe('Mercure update for topic "t" (and 1 alternate topic(s)) refused: the publish queue of hub "default" is closed');
  });
});

describe('PublishQueue scheduling', () => {
  it('holds an update until every earlier update on any of its topics has settled', async () => {
    const transport = new ManualTransport();
    const queue = new PublishQueue(transport, { hubName: 'h', logger: fakeLogger() });
    const a = queue.enqueue(new Update('A', 'a1'));
    const b = queue.enqueue(new Update('B', 'b1'));
    const ab = queue.enqueue(new Update(['A', 'B'], 'ab'));
    const c = queue.enqueue(new Update('C', 'c1'));
    await tick();
    expect(transport.sent()).toEqual(['a1', 'b1', 'c1']);

    transport.calls[0].resolve('id-a1');
    await tick();
    expect(transport.sent()).toEqual(['a1', 'b1', 'c1']);

    transport.calls[1].reject(new HubDeliveryError('bad', false, 400));
    await tick();
    expect(transport.sent()).toEqual(['a1', 'b1', 'c1', 'ab']);

    transport.calls[2].resolve('id-c1');
    transport.calls[3].resolve('id-ab');
    await expect(a).resolves.toBe('id-a1');
    await expect(b).rejects.toBeInstanceOf(HubDeliveryError);
    await expect(ab).resolves.toBe('id-ab');
    await expect(c).resolves.toBe('id-c1');
    expect(queue.pending).toBe(0);
  });

  it('bounds the updates in flight by concurrency, first come first served', async () => {
    const transport = new ManualTransport();
    const queue = new PublishQueue(transport, { hubName: 'h', concurrency: 3, logger: fakeLogger() });
    const results = Array.from({ length: 6 }, (_, i) => queue.enqueue(new Update(`t${i}`, String(i))));
    await tick();
    expect(transport.sent()).toEqual(['0', '1', '2']);
    transport.calls[1].resolve('x');
    await tick();
    expect(transport.sent()).toEqual(['0', '1', '2', '3']);
    transport.calls[0].resolve('x');
    transport.calls[2].resolve('x');
    await tick();
    expect(transport.sent()).toEqual(['0', '1', '2', '3', '4', '5']);
    transport.calls.slice(3).forEach((call) => call.resolve('x'));
    await Promise.all(results);
  });

  it('close gives up the updates still waiting for a slot and lets those in flight finish', async () => {
    const transport = new ManualTransport();
    const logger = fakeLogger();
    const queue = new PublishQueue(transport, { hubName: 'h', concurrency: 2, logger });
    const results = Array.from({ length: 5 }, (_, i) => queue.enqueue(new Update(`t${i}`, String(i))));
    const outcomes = results.map((result) => result.then((id) => `delivered ${id}`, (error: Error) => `given up: ${error.message}`));
    await tick();
    const closing = queue.close();
    transport.calls[0].resolve('a');
    transport.calls[1].resolve('b');
    await closing;
    // The slots freed by the two in flight went to waiters that found the queue closed: never sent.
    expect(transport.sent()).toEqual(['0', '1']);
    const settled = await Promise.all(outcomes);
    expect(settled.slice(0, 2)).toEqual(['delivered a', 'delivered b']);
    for (const outcome of settled.slice(2)) {
      expect(outcome).toContain('given up: The publish queue of Mercure hub "h" closed before the update was delivered');
    }
    expect(queue.stats).toEqual({ pending: 0, delivered: 2, givenUp: 3 });
    expect(logger.warn).toHaveBeenCalledWith('3 Mercure update(s) for hub "h" were dropped when the queue closed');
  });

  it('does not retry errors that are not HubDeliveryErrors', async () => {
    const logger = fakeLogger();
    let calls = 0;
    const queue = new PublishQueue(
      {
        send: async () => {
          calls++;
          throw new TypeError('boom');
        },
      },
      { hubName: 'h', retryDelay: 1, logger },
    );
    await expect(queue.enqueue(new Update('t'))).rejects.toThrow('boom');
    expect(calls).toBe(1);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toContain('boom');
  });

  it('honours Retry-After, capped by maxRetryDelay', async () => {
    let calls = 0;
    const queue = new PublishQueue(
      {
        send: async () => {
          if (++calls === 1) throw new HubDeliveryError('slow down', true, 429, '', 3_600_000);
          return 'id';
        },
      },
      // Were Retry-After (an hour) not capped, this test would time out.
      { hubName: 'h', retryDelay: 1, maxRetryDelay: 10, logger: fakeLogger() },
    );
    await expect(queue.enqueue(new Update('t'))).resolves.toBe('id');
    expect(calls).toBe(2);
  });

  it('validates its options', () => {
    const transport = new ManualTransport();
    expect(() => new PublishQueue(transport, { hubName: 'h', concurrency: 0 })).toThrow('concurrency');
    expect(() => new PublishQueue(transport, { hubName: 'h', retries: -1 })).toThrow('retries');
  });
});
