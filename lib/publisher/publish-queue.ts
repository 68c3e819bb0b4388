import { Logger, LoggerService } from '@nestjs/common';
import { HubDeliveryError, PublishTransport } from './publish-transport';
import { DeliveryIncidents } from './delivery-incidents';
import { Semaphore } from './semaphore';
import { Update } from './update';

export interface PublishQueueOptions {
  /** Name of the hub, for log messages. */
  hubName: string;
  /** Retries after the first attempt, for retryable failures only (default: as many as fit in `retryWindow`). */
  retries?: number;
  /** How long after it was queued an update may still be retried, in ms (default 60000). */
  retryWindow?: number;
  /** Updates held at most (waiting, in flight or between retries); beyond, new ones are given up (default 10000). */
  maxPending?: number;
  /** Base of the exponential backoff in ms (default 100): attempt n waits up to `retryDelay * 2^(n-1)`. */
  retryDelay?: number;
  /** Upper bound of any wait between attempts, `Retry-After` included, in ms (default 5000). */
  maxRetryDelay?: number;
  /** Updates being sent (or retried) at the same time (default 64). */
  concurrency?: number;
  /** Where failures are reported; a Nest `Logger` with the `Mercure` context by default. */
  logger?: LoggerService;
}

const DEFAULTS = { retries: Number.MAX_SAFE_INTEGER, retryWindow: 60_000, maxPending: 10_000, retryDelay: 100, maxRetryDelay: 5000, concurrency: 64 };

/**
 * Delivers updates to one hub: in order per topic, concurrently across topics, with retries.
 *
 * Ordering: an update waits until every earlier update sharing one of its topics has settled
 * (delivered or given up), so subscribers of a topic see its updates in the order they were
 * enqueued, even when an earlier one needed retries. Updates with disjoint topics do not wait for
 * each other; at most `concurrency` of them are in flight at once.
 *
 * Retries: only for failures the transport marks `retryable` (network errors, timeouts, 5xx,
 * 429), waiting a random time up to an exponentially growing bound ("full jitter", so that many
 * publishers do not retry in lockstep), or the hub's `Retry-After`, capped by `maxRetryDelay`.
 * A retry after a timeout may deliver an update twice, if the hub got the first one after all.
 *
 * Bounds: an update is retried until `retryWindow` has passed since it was queued (or `retries`
 * ran out); at most `maxPending` updates are held, newer ones are given up at once.
 *
 * Failures are logged per incident, not per update (`DeliveryIncidents`): a warning when the hub
 * has been failing for a while, an error at the first update given up (hub, topic, status, body;
 * never the token or the data) with a count later, a line when the hub recovers. The promise
 * returned by `enqueue()` rejects for each update given up; an update refused because the
 * queue is closed is logged as a warning and rejected the same way. That promise belongs to the
 * caller, who must handle it; `dispatch()` (fire-and-forget, what `HubPublisher.dispatch()` uses)
 * makes none. The bookkeeping (per-topic order, the concurrency bound) uses counters and callbacks,
 * not promises per update, and never leaves a rejected promise unhandled.
 */
export class PublishQueue {
  private readonly retries: number;
  private readonly retryWindow: number;
  private readonly maxPending: number;
  private readonly incidents: DeliveryIncidents;
  private deliveredCount = 0;
  private givenUpCount = 0;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly logger: LoggerService;
  private readonly slots: Semaphore;
  /**
   * Per topic, the latest update queued on it, until that one settles. Replaced by a new map
   * whenever it empties: a long-lived map's table ends up in V8's old generation, and the young
   * entries written into it were then promoted by minor collections (0.9 MB per collection
   * instead of 0.02 MB in `bench/flush-gc.bench.ts`); a fresh map stays young.
   */
  private tails = new Map<string, Entry>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly sleepers = new Set<() => void>();
  private pendingCount = 0;
  private abandoned = 0;
  private closed = false;
  /**
   * Entries whose turn came while another was settling: delivered by one loop, not by recursion.
   * Once the queue is closed an entry settles synchronously, which settles the next one on its
   * topic: thousands of them in a row would otherwise overflow the stack.
   */
  private readonly ready: Entry[] = [];
  private releasing = false;

  constructor(
    private readonly transport: PublishTransport,
    private readonly options: PublishQueueOptions,
  ) {
    this.retries = atLeast(options.retries, DEFAULTS.retries, 0, 'retries');
    this.retryWindow = atLeast(options.retryWindow, DEFAULTS.retryWindow, 0, 'retryWindow');
    this.maxPending = atLeast(options.maxPending, DEFAULTS.maxPending, 1, 'maxPending');
    this.retryDelay = atLeast(options.retryDelay, DEFAULTS.retryDelay, 0, 'retryDelay');
    this.maxRetryDelay = atLeast(options.maxRetryDelay, DEFAULTS.maxRetryDelay, 0, 'maxRetryDelay');
    this.slots = new Semaphore(atLeast(options.concurrency, DEFAULTS.concurrency, 1, 'concurrency'));
    this.logger = options.logger ?? new Logger('Mercure');
    this.incidents = new DeliveryIncidents(this.logger, options.hubName, `updates are retried for up to ${this.retryWindow} ms`);
  }

  /** Totals since start: delivered, and given up (retry window or `maxPending` exceeded, refused, closed). */
  get stats(): { pending: number; delivered: number; givenUp: number } {
    return { pending: this.pendingCount, delivered: this.deliveredCount, givenUp: this.givenUpCount };
  }

  /**
   * One attempt straight through the transport, outside the queue's ordering and retries: for
   * the outbox relay, which orders and retries by itself.
   */
  sendOnce(update: Update): Promise<string> {
    return this.transport.send(update);
  }

  /** Updates enqueued and not yet delivered or given up. */
  get pending(): number {
    return this.pendingCount;
  }

  /**
   * Queues an update; resolves with the id the hub assigned once delivered, or rejects (after
   * logging) once given up. A caller that drops the promise leaves no unhandled rejection.
   */
  enqueue(update: Update): Promise<string> {
    let entry: Entry | undefined;
    const result = new Promise<string>((resolve, reject) => {
      entry = this.add(update, resolve, reject);
    });
    // A caller that drops the promise must not crash the process with an unhandled rejection.
    if (entry === undefined) {
      // Refused at once (closed, or full): already rejected.
      result.catch(noop);
    } else {
      // Marked handled when it is given up (`giveUp()`; never earlier, since an entry queued by
      // `add()` settles in a later turn): a delivered update costs no second promise.
      entry.promise = result;
    }
    return result;
  }

  /**
   * Queues an update nobody waits for (`HubPublisher.dispatch()`): failures are logged as for
   * `enqueue()`, and no promise is made for it.
   */
  dispatch(update: Update): void {
    this.add(update, noop, noop);
  }

  /** Queues an entry for the update and returns it, or tells `failed` at once and returns nothing. */
  private add(update: Update, delivered: (id: string) => void, failed: (error: unknown) => void): Entry | undefined {
    if (this.closed) {
      // Logged like any other failure (the topic, never the token or the data): updates made
      // after shutdown, e.g. by flushes in late destroy hooks, must not vanish silently.
      const [topic, ...alternates] = update.topics;
      this.logger.warn(
        `Mercure update for topic ${JSON.stringify(topic)}` +
          (alternates.length ? ` (and ${alternates.length} alternate topic(s))` : '') +
          ` refused: the publish queue of hub "${this.options.hubName}" is closed`,
      );
      failed(new HubDeliveryError(`The publish queue of Mercure hub "${this.options.hubName}" is closed`, false));
      return undefined;
    }
    if (this.pendingCount >= this.maxPending) {
      this.givenUpCount++;
      const error = new HubDeliveryError(`The publish queue of Mercure hub "${this.options.hubName}" holds ${this.maxPending} updates (delivery.maxPending)`, false);
      this.incidents.gaveUp(this.describeFailure(update, error, 0), error.message);
      failed(error);
      return undefined;
    }
    // Bookkeeping without promises: an entry counts the earlier unsettled entries sharing one of
    // its topics, and each of those starts it once the count drops to zero.
    const entry = new Entry(update, distinct(update.topics), Date.now(), delivered, failed);
    // Indexed loops over topics here and in `settle`: `for...of` allocated an iterator result per
    // topic (heap profile of the flush bench).
    for (let i = 0; i < entry.topics.length; i++) {
      const topic = entry.topics[i];
      const tail = this.tails.get(topic);
      if (tail) {
        // Several shared topics with one tail are one wait, as they settle together.
        if (tail.next === undefined) {
          tail.next = entry;
          entry.blockers++;
        } else if (tail.next !== entry && tail.more?.[tail.more.length - 1] !== entry) {
          (tail.more ??= []).push(entry);
          entry.blockers++;
        }
      }
      this.tails.set(topic, entry);
    }
    this.pendingCount++;
    if (entry.blockers === 0) {
      this.deliver(entry);
    }
    return entry;
  }

  /**
   * Waits until every queued update has settled. Resolves `true` then, or `false` after
   * `timeoutMs` (logging how many were left); the updates keep going either way.
   */
  drain(timeoutMs: number, { quiet = false }: { quiet?: boolean } = {}): Promise<boolean> {
    if (this.pendingCount === 0) {
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        if (!quiet) {
          this.logger.warn(
            `${this.pendingCount} Mercure update(s) for hub "${this.options.hubName}" still pending after ${timeoutMs} ms`,
          );
        }
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(done);
    });
  }

  /**
   * Stops the queue: new updates are refused, updates waiting for a retry or their turn are given
   * up (their promises reject), requests in flight finish; then the transport is closed.
   * Call `drain()` first to give pending updates a chance.
   */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const wake of [...this.sleepers]) {
        wake();
      }
      if (this.pendingCount > 0) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.idleWaiters.delete(done);
            resolve();
          };
          this.idleWaiters.add(done);
        });
      }
      if (this.abandoned > 0) {
        this.logger.warn(
          `${this.abandoned} Mercure update(s) for hub "${this.options.hubName}" were dropped when the queue closed`,
        );
      }
    }
    await this.transport.close?.();
  }

  /**
   * Sends an entry whose turn has come. The first attempt is a plain promise callback rather than
   * an async function, and an entry waiting for a slot is a callback and an argument in the
   * semaphore's queue (a burst larger than `concurrency` costs no promise per update); any retry
   * goes through `attempts()`.
   */
  private deliver(entry: Entry): void {
    if (this.closed) {
      void this.attempts(entry, 1);
    } else if (this.slots.tryAcquire()) {
      this.send(entry);
    } else {
      this.slots.wait(this.slotGranted, entry);
    }
  }

  /** A slot was handed to an entry that waited for one (its first attempt). */
  private readonly slotGranted = (entry: Entry): void => {
    if (this.closed) {
      // Given up the way every entry is once closed (as `deliver` does).
      this.slots.release();
      void this.attempts(entry, 1);
      return;
    }
    this.send(entry);
  };

  /** The first attempt, holding a slot. */
  private send(entry: Entry): void {
    let sending: Promise<string>;
    try {
      sending = this.transport.send(entry.update);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      (id) => {
        // The slot goes back last: entries this one unblocks queue behind those already waiting.
        try {
          this.succeeded(entry, id);
        } finally {
          try {
            this.settle(entry);
          } finally {
            this.slots.release();
          }
        }
      },
      (error: unknown) => {
        this.slots.release();
        void this.attempts(entry, 1, { error });
      },
    );
  }

  /**
   * Attempts from `attempt` on until delivered or given up (`failure`: that attempt already failed
   * with it), tells the entry's owner, then lets the entries behind it go. Never rejects.
   */
  private async attempts(entry: Entry, attempt: number, failure?: { error: unknown }): Promise<void> {
    try {
      if (failure) {
        if (!(await this.retryAfterFailure(entry, failure.error, attempt))) {
          return;
        }
        attempt++;
      }
      for (; ; attempt++) {
        const slot = this.slots.acquire();
        if (slot) {
          await slot;
        }
        if (this.closed) {
          this.slots.release();
          this.giveUp(entry, this.abandon(undefined));
          return;
        }
        let error: unknown;
        let id: string | undefined;
        let sent = false;
        try {
          id = await this.transport.send(entry.update);
          sent = true;
        } catch (caught) {
          error = caught;
        } finally {
          this.slots.release();
        }
        if (sent) {
          this.succeeded(entry, id!);
          return;
        }
        if (!(await this.retryAfterFailure(entry, error, attempt))) {
          return;
        }
      }
    } catch (unexpected) {
      // A logger that threw: the caller still hears of the update.
      this.giveUp(entry, unexpected);
    } finally {
      this.settle(entry);
    }
  }

  /** Tells the entry's owner it was given up. */
  private giveUp(entry: Entry, error: unknown): void {
    entry.promise?.catch(noop);
    entry.failed(error);
  }

  private succeeded(entry: Entry, id: string): void {
    this.deliveredCount++;
    try {
      this.incidents.succeeded();
    } catch {
      // A logger that threw: the update was delivered all the same.
    }
    entry.delivered(id);
  }

  /**
   * After attempt `attempt` failed with `error`: gives the update up (telling its owner) and
   * resolves false, or waits the backoff and resolves true when it is worth another attempt.
   */
  private async retryAfterFailure(entry: Entry, error: unknown, attempt: number): Promise<boolean> {
    const retryable = error instanceof HubDeliveryError && error.retryable;
    const wait = retryable ? this.backoff(attempt, (error as HubDeliveryError).retryAfter) : 0;
    if (!retryable || attempt > this.retries || Date.now() + wait - entry.queuedAt > this.retryWindow) {
      this.givenUpCount++;
      this.incidents.gaveUp(this.describeFailure(entry.update, error, attempt), (error as Error)?.message ?? String(error));
      this.giveUp(entry, error);
      return false;
    }
    this.incidents.failed((error as Error).message);
    if (!this.closed) {
      await this.sleep(wait);
    }
    if (this.closed) {
      this.giveUp(entry, this.abandon(error));
      return false;
    }
    return true;
  }

  /** The entry was delivered or given up: the topics it held are free, the entries waiting on it may go. */
  private settle(entry: Entry): void {
    for (let i = 0; i < entry.topics.length; i++) {
      const topic = entry.topics[i];
      // A later update on the topic has replaced the tail: it will clean up after itself.
      if (this.tails.get(topic) === entry) {
        this.tails.delete(topic);
      }
    }
    if (this.tails.size === 0) {
      this.tails = new Map();
    }
    const { next, more } = entry;
    entry.next = entry.more = undefined;
    if (next !== undefined && --next.blockers === 0) {
      this.ready.push(next);
    }
    if (more !== undefined) {
      for (const dependent of more) {
        if (--dependent.blockers === 0) {
          this.ready.push(dependent);
        }
      }
    }
    if (--this.pendingCount === 0) {
      for (const wake of [...this.idleWaiters]) {
        wake();
      }
    }
    this.deliverReady();
  }

  /** Delivers the entries made ready, unless an outer call is already doing so (it will see them). */
  private deliverReady(): void {
    if (this.releasing) {
      return;
    }
    this.releasing = true;
    try {
      for (let i = 0; i < this.ready.length; i++) {
        this.deliver(this.ready[i]);
      }
    } finally {
      this.ready.length = 0;
      this.releasing = false;
    }
  }

  /** The error of an update given up because the queue closed (counted, not logged per update). */
  private abandon(lastError: unknown): HubDeliveryError {
    this.abandoned++;
    this.givenUpCount++;
    const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
    return new HubDeliveryError(
      `The publish queue of Mercure hub "${this.options.hubName}" closed before the update was delivered${detail}`,
      false,
      (lastError as HubDeliveryError)?.status,
      (lastError as HubDeliveryError)?.body,
    );
  }

  /** Full jitter: a random wait up to the exponential bound, unless the hub said how long. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) {
      return Math.min(retryAfter, this.maxRetryDelay);
    }
    const bound = Math.min(this.maxRetryDelay, this.retryDelay * 2 ** (attempt - 1));
    return Math.random() * bound;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private describeFailure(update: Update, error: unknown, attempts: number): string {
    const [topic, ...alternates] = update.topics;
    const where =
      `Mercure update for topic ${JSON.stringify(topic)}` +
      (alternates.length ? ` (and ${alternates.length} alternate topic(s))` : '') +
      ` not delivered to hub "${this.options.hubName}" after ${attempts} attempt(s)`;
    if (!(error instanceof HubDeliveryError)) {
      return `${where}: ${(error as Error)?.message ?? String(error)}`;
    }
    // The HTTP transport puts status and body in its message; other transports may not.
    const message = error.message;
    const extras: string[] = [];
    if (error.status !== undefined && !message.includes(String(error.status))) {
      extras.push(`status ${error.status}`);
    }
    if (error.body && !message.includes(error.body.slice(0, 50))) {
      extras.push(`body ${JSON.stringify(error.body.slice(0, 200))}`);
    }
    return `${where}: ${message}${extras.length ? ` (${extras.join(', ')})` : ''}`;
  }
}

/**
 * One queued update, what it waits for, and who hears of its outcome. A class rather than an
 * object literal: V8 would soon make a literal's entries in the old generation, each keeping its
 * young update alive until a full collection (see `compilePropertyWriter`).
 */
class Entry {
  /** Earlier entries on one of its topics that have not settled yet. */
  blockers = 0;
  /** The first later entry waiting for this one (most have one at most: no array for it)... */
  next: Entry | undefined = undefined;
  /** ...and the others, each once. */
  more: Entry[] | undefined = undefined;
  /** The promise `enqueue()` returned for it, to mark handled when it is given up. */
  promise: Promise<string> | undefined = undefined;

  constructor(
    readonly update: Update,
    /** Its distinct topics. */
    readonly topics: readonly string[],
    readonly queuedAt: number,
    readonly delivered: (id: string) => void,
    readonly failed: (error: unknown) => void,
  ) {}
}

function distinct(topics: readonly string[]): readonly string[] {
  return topics.length === 1 ? topics : Array.from(new Set(topics));
}

function noop(): void {}

function atLeast(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`The Mercure delivery option ${name} must be a number >= ${min}`);
  }
  return value;
}
