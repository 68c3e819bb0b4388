import type { HubHistory } from '../../lib/hub/hub-transport';
import { MemoryHubTransport } from '../../lib/hub/memory-transport';
import { BareHub, startBareHub, subscribeUrl } from './helpers';
import { openSse, SseConnection, subscribe } from './sse-client';

/**
 * What a subscriber asking for history costs the hub while the history is read: live updates are
 * buffered for it (so that each arrives once, replayed or live), up to 10,000; past that it is
 * disconnected rather than buffered without bound. A real hub over HTTP and SSE; the transport is
 * the real memory transport, whose history read waits on a gate here, as a slow Redis would.
 */
class SlowHistoryTransport extends MemoryHubTransport {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  /** Resolves once a history read is waiting at the gate. */
  waiting!: Promise<void>;
  private markWaiting!: () => void;

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    this.waiting = new Promise((resolve) => (this.markWaiting = resolve));
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  async history(lastEventId: string, until: string): Promise<HubHistory> {
    if (this.gate) {
      this.markWaiting();
      await this.gate;
    }
    return super.history(lastEventId, until);
  }
}

const TOPIC = 'https://example.com/books/1';
const LIMIT = 10_000; // MAX_PENDING_UPDATES in lib/hub/fan-out.ts

describe('hub: live updates buffered during a history replay', () => {
  let transport: SlowHistoryTransport;
  let hub: BareHub;
  const streams: SseConnection[] = [];

  const start = async (historySize: number) => {
    transport = new SlowHistoryTransport(historySize);
    hub = await startBareHub({ anonymous: true, transport, historySize });
  };

  afterEach(async () => {
    transport?.release();
    for (const stream of streams.splice(0)) stream.close();
    await hub.close();
  });

  const publishMany = async (count: number, from = 0) => {
    for (let i = from; i < from + count; i++) await hub.hub.publish({ topics: [TOPIC], data: String(i) });
  };

  it('delivers the history, then every update buffered meanwhile, once and in order', async () => {
    await start(LIMIT + 100); // keeps everything this test publishes
    await publishMany(3); // history: 0, 1, 2
    const live = await subscribe(subscribeUrl(hub.hubUrl, [TOPIC]));
    streams.push(live);
    transport.hold();
    const replaying = openSse(subscribeUrl(hub.hubUrl, [TOPIC], { lastEventID: 'earliest' }));
    await transport.waiting;
    await publishMany(LIMIT, 3); // buffered for the replaying subscriber: exactly the limit
    transport.release();
    const stream = (await replaying) as SseConnection;
    streams.push(stream);
    const expected = Array.from({ length: LIMIT + 3 }, (_, i) => String(i));
    const received: string[] = [];
    while (received.length < expected.length) received.push((await stream.nextEvent()).data);
    expect(received).toEqual(expected);
    expect(hub.hub.stats().connections).toBe(2);
  });

  it('disconnects a subscriber whose buffer would pass the limit, and forgets it; the others get everything', async () => {
    await start(100);
    const live = await subscribe(subscribeUrl(hub.hubUrl, [TOPIC]));
    streams.push(live);
    transport.hold();
    const replaying = openSse(subscribeUrl(hub.hubUrl, [TOPIC], { lastEventID: 'earliest' }));
    await transport.waiting;
    expect(hub.hub.stats().connections).toBe(2);
    await publishMany(LIMIT + 1);
    // Dropped at the update past the limit, before it got any answer: the client sees a reset.
    await expect(replaying).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(hub.hub.stats().connections).toBe(1);
    transport.release();
    let last = '';
    for (let i = 0; i <= LIMIT; i++) last = (await live.nextEvent()).data;
    expect(last).toBe(String(LIMIT));
    // It may come back with the last id it has (none here): the hub serves it again.
    const again = await subscribe(subscribeUrl(hub.hubUrl, [TOPIC], { lastEventID: 'earliest' }));
    streams.push(again);
    expect((await again.nextEvent()).data).toBe(String(LIMIT + 1 - 100)); // the oldest of the 100 kept
  });
});
