import type { HubUpdate } from './hub-update';
import { encodeEventBuffer, SSE_COMMENT } from './sse';
import type { Subscriber } from './subscriber';
import { subscriberStreamOf } from './subscriber-stream';
import type { SubscriberIndex } from './subscriber-index';
import type { TopicSelectorStore } from './topic-selector';

/** Live updates buffered for one subscriber while its history is replayed. */
const MAX_PENDING_UPDATES = 10_000;

interface Round {
  readonly epoch: number;
  readonly update: HubUpdate;
  frame: Buffer | undefined;
  /** Private-update decisions per `mercure.subscribe` set, for this update. */
  auth: Map<string, boolean> | undefined;
}

/**
 * Writes updates to the local subscribers. Each update's SSE frame is encoded once and the same
 * buffer goes to every matching connection; a private update's authorization is decided once per
 * distinct `mercure.subscribe` set; a subscriber too slow to keep up is disconnected.
 */
export class HubFanOut {
  private readonly frames = new WeakMap<HubUpdate, Buffer>();
  private epoch = 0;
  private tick = 0;

  constructor(
    private readonly index: SubscriberIndex,
    private readonly selectors: TopicSelectorStore,
    private readonly writeBufferLimit: number,
  ) {}

  /** Delivers one update (from the transport, in order) to the matching local subscribers. */
  deliver(update: HubUpdate): void {
    if (this.index.all.size === 0) return;
    const round: Round = { epoch: ++this.epoch, update, frame: undefined, auth: undefined };
    this.index.forEachMatch(update.topics, (sub) => this.offer(sub, round));
  }

  /** Starts a subscriber's stream: the opening comment (which sends the headers), and its place in the heartbeat. */
  open(sub: Subscriber): void {
    sub.res.write(SSE_COMMENT);
    sub.stream = subscriberStreamOf(sub.res);
    sub.lastTick = this.tick;
  }

  /** Writes a replayed frame, tolerated past the send-buffer limit (see `tolerateReplay`). */
  replay(sub: Subscriber, frame: Buffer): void {
    sub.stream?.write(frame);
  }

  /** After the replay: its bytes are tolerated in the send buffer until it drains. */
  tolerateReplay(sub: Subscriber): void {
    const stream = sub.stream;
    if (!stream || stream.writableLength === 0) return;
    sub.allowance = stream.writableLength;
    sub.backlogged = true;
    stream.once('drain', () => {
      sub.allowance = 0;
      sub.backlogged = false;
    });
  }

  /** Whether a replayed update is for this subscriber (topics and, when private, authorization). */
  wants(sub: Subscriber, update: HubUpdate): boolean {
    if (update.private && !(sub.allowed && this.selectors.matchesAny(sub.allowed, update.topics))) return false;
    return this.selectors.matchesAny(sub.selectors, update.topics);
  }

  frameOf(update: HubUpdate): Buffer {
    let frame = this.frames.get(update);
    if (!frame) {
      frame = encodeEventBuffer(update);
      this.frames.set(update, frame);
    }
    return frame;
  }

  /** A heartbeat comment to every stream idle since the previous beat. */
  beat(): void {
    const tick = ++this.tick;
    for (const sub of this.index.all) {
      if (sub.pending || sub.lastTick > tick - 2) continue;
      this.write(sub, SSE_COMMENT);
    }
  }

  private offer(sub: Subscriber, round: Round): void {
    if (sub.epoch === round.epoch) return;
    sub.epoch = round.epoch;
    const update = round.update;
    if (update.private) {
      const key = sub.authKey;
      if (key === undefined) return;
      round.auth ??= new Map();
      let allowed = round.auth.get(key);
      if (allowed === undefined) {
        allowed = this.selectors.matchesAny(sub.allowed!, update.topics);
        round.auth.set(key, allowed);
      }
      if (!allowed) return;
    }
    if (sub.pending) {
      if (sub.pending.length >= MAX_PENDING_UPDATES) {
        sub.res.destroy();
        return;
      }
      sub.pending.push(update);
      return;
    }
    this.write(sub, (round.frame ??= this.frameOf(update)));
  }

  // Per subscriber and update: hot at 10k subscribers, so it reads plain fields (`stream` is null
  // once the stream ends) and checks the send buffer only while a previous write is buffered.
  private write(sub: Subscriber, frame: Buffer): void {
    const stream = sub.stream;
    if (stream === null) return;
    if (sub.backlogged && stream.writableLength > this.writeBufferLimit + sub.allowance) {
      // Too slow: drop it rather than buffer without bound; it can reconnect with Last-Event-ID.
      sub.stream = null;
      sub.res.destroy();
      return;
    }
    if (!stream.write(frame) && !sub.backlogged) {
      sub.backlogged = true;
      stream.once('drain', () => (sub.backlogged = false));
    }
    sub.lastTick = this.tick;
  }
}
