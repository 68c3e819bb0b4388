import type { HubUpdate } from './hub-update';
import { EARLIEST, HubHistory, HubTransport, HubTransportListener } from './hub-transport';

/**
 * The in-process transport: delivers synchronously and keeps the last `historySize` updates in a
 * ring buffer, with an index from update id to position.
 */
export class MemoryHubTransport implements HubTransport {
  private listener?: HubTransportListener;
  /** Grows up to historySize entries (not preallocated), then wraps around. */
  private readonly ring: (HubUpdate | undefined)[] = [];
  /** Sequence number of the last update (1-based; 0 when none). */
  private seq = 0;
  private lastId = EARLIEST;
  /** Last sequence number of each id still in the ring. */
  private readonly positions = new Map<string, number>();
  private closed = false;

  constructor(private readonly historySize = 1000) {}

  async start(listener: HubTransportListener): Promise<void> {
    this.listener = listener;
  }

  async dispatch(update: HubUpdate): Promise<void> {
    if (this.closed) throw new Error('The hub transport is closed');
    const seq = ++this.seq;
    if (this.historySize > 0) {
      const slot = seq % this.historySize;
      const evicted = this.ring[slot];
      if (evicted && this.positions.get(evicted.id) === seq - this.historySize) {
        this.positions.delete(evicted.id);
      }
      this.ring[slot] = update;
      this.positions.set(update.id, seq);
    }
    this.lastId = update.id;
    this.listener?.(update);
  }

  cursor(): string {
    return String(this.seq);
  }

  lastEventId(): string {
    return this.lastId;
  }

  async history(lastEventId: string, until: string): Promise<HubHistory> {
    const last = Number(until);
    // Positions still in the ring (later dispatches may have overwritten older ones).
    const oldest = Math.max(1, this.seq - this.historySize + 1);
    let from: number;
    let precedingId = EARLIEST;
    if (lastEventId === EARLIEST) {
      from = oldest;
    } else {
      const position = this.positions.get(lastEventId);
      if (position === undefined || position > last) return { updates: [], precedingId: EARLIEST };
      from = Math.max(position + 1, oldest);
      precedingId = lastEventId;
    }
    const updates: HubUpdate[] = [];
    for (let seq = from; seq <= last && this.historySize > 0; seq++) {
      const update = this.ring[seq % this.historySize];
      if (update) updates.push(update);
    }
    return { updates, precedingId };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listener = undefined;
  }
}
