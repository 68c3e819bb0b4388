import { randomUUID } from 'crypto';
import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { DeliveryIncidents } from '../publisher/delivery-incidents';
import type { HubRegistry } from '../publisher/hub-registry';
import { HubDeliveryError } from '../publisher/publish-transport';
import { Semaphore } from '../publisher/semaphore';
import { Update } from '../publisher/update';
import type { OutboxRow, OutboxStore } from './outbox-store';

export interface OutboxRelayOptions {
  /** How long a claimed row belongs to this relay unless renewed (ms). */
  leaseDuration: number;
  /** Fallback scan for rows of other instances, crashed runs and expired leases (ms). */
  sweepInterval: number;
  /** Rows claimed per query; at most ten times as many are held in memory. */
  batchSize: number;
  /** Rows being sent at once, across ordering keys. */
  concurrency: number;
  retryDelay: number;
  maxRetryDelay: number;
  /** How long a hub may fail before a warning is logged (ms). */
  alertAfter: number;
  logger?: LoggerService;
}

/**
 * Delivers the outbox: claims rows (leases, see `OutboxStore.claim`), publishes them through each
 * hub's transport, deletes them once the hub accepted them.
 *
 * - Order: rows of one ordering key (the canonical topic) are sent one after the other, in id
 *   order; keys go concurrently, `concurrency` sends at most.
 * - Retries: network errors, timeouts, 5xx, 429 (anything but a refusal) are retried with capped,
 *   jittered backoff for as long as it takes; the lease is renewed meanwhile. The update id is
 *   the row's, the same on every attempt.
 * - Refusals (4xx other than 408/429) mark the row failed: kept aside for `MercureOutbox`,
 *   never blocking the rows behind it.
 * - Wake-ups: `wake()` right after a commit that wrote rows; a sweep every `sweepInterval`.
 */
export class OutboxRelay {
  /** Identifies this process's leases. */
  readonly owner = randomUUID();
  private readonly logger: LoggerService;
  private readonly incidents = new Map<string, DeliveryIncidents>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly slots: Semaphore;
  /** Ids of the rows held (claimed or adopted, not yet settled), for renewing exactly their leases. */
  private readonly heldIds = new Set<number>();
  /** Rows written by this process, committed, waiting for the order check of `adopt()`. */
  private adopted: OutboxRow[] = [];
  private adopting = false;
  /** Rows whose delivery `stop()` cut short (counted for its log line). */
  private abandoned = 0;
  private sending = 0;
  private claiming = false;
  private again = false;
  private moreWaiting = false;
  /** Set by `stop()`: no more claims. */
  private stopping = false;
  /** Set once `stop()` gave up waiting: no more attempts. */
  private stopped = true;
  private timers: NodeJS.Timeout[] = [];
  private deletions: number[] = [];
  private deleting?: Promise<void>;
  private claimErrorLoggedAt = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly hubs: HubRegistry,
    private readonly options: OutboxRelayOptions,
  ) {
    this.logger = options.logger ?? new Logger('Mercure');
    this.slots = new Semaphore(options.concurrency);
  }

  /** Whether rows written now may be leased to this relay (it runs and is not stopping). */
  get takesNewRows(): boolean {
    return !this.stopped && !this.stopping;
  }

  /** Rows claimed by this process and not yet delivered, refused or released. */
  get inFlight(): number {
    return this.heldIds.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    const sweep = setInterval(() => this.wake(), this.options.sweepInterval);
    const renew = setInterval(() => void this.renew(), Math.max(50, this.options.leaseDuration / 3));
    sweep.unref();
    renew.unref();
    this.timers = [sweep, renew];
    this.wake();
  }

  /**
   * Takes rows this process wrote, already leased to it (`OutboxStore.insert`), right after
   * their commit: no claim needed. One query per batch checks that no other relay holds an
   * earlier row of the same topic; rows behind one are released to wait their turn through
   * `claim`. Beyond what the relay may hold, rows are released too (the sweep gets them later).
   */
  adopt(rows: readonly OutboxRow[]): void {
    if (this.stopping || rows.length === 0) return;
    this.adopted.push(...rows);
    if (!this.adopting) {
      this.adopting = true;
      setImmediate(() => void this.adoptPending());
    }
  }

  private async adoptPending(): Promise<void> {
    while (this.adopted.length > 0 && !this.stopping) {
      const rows = this.adopted.splice(0, 500);
      const first = new Map<string, number>();
      for (const row of rows) if (!first.has(row.orderingKey)) first.set(row.orderingKey, row.id);
      let blocked: Set<string>;
      try {
        blocked = await this.store.keysWithEarlierRows(this.owner, Date.now(), first);
      } catch (error) {
        this.logger.warn(`Could not check the order of new Mercure outbox rows; the sweep delivers them: ${messageOf(error)}`);
        await this.store.release(this.owner, rows.map((row) => row.id)).catch(() => undefined);
        continue;
      }
      const room = this.options.batchSize * 10 - this.heldIds.size;
      const deliverable = rows.filter((row) => !blocked.has(row.orderingKey)).slice(0, Math.max(0, room));
      const taken = new Set(deliverable);
      const released = rows.filter((row) => !taken.has(row));
      for (const row of deliverable) this.schedule(row);
      if (released.length > 0) {
        await this.store.release(this.owner, released.map((row) => row.id)).catch((error) =>
          this.logger.warn(`Could not release Mercure outbox leases (they expire by themselves): ${messageOf(error)}`),
        );
        this.wake();
      }
    }
    this.adopting = false;
    this.notifyIdle();
  }

  /** Looks for rows now (coalesced: one claim query at a time). */
  wake(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimLoop();
  }

  /** Resolves once nothing is held (for tests and benchmarks); `false` on timeout. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve(ok);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idleWaiters.add(onIdle);
    });
  }

  /**
   * Stops claiming; lets the rows already held be delivered (retries included) for at most
   * `timeoutMs`; then stops retrying, waits for the sends in flight, records what was delivered,
   * and gives the leases of the rest back: another instance, or the next start, delivers them.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.timers.forEach(clearInterval);
    const deadline = Date.now() + timeoutMs;
    while ((this.heldIds.size > 0 || this.claiming || this.adopting) && Date.now() < deadline) {
      await delay(10);
    }
    this.stopped = true;
    for (const wake of [...this.sleepers]) wake();
    while (this.sending > 0 && Date.now() < deadline + timeoutMs) {
      await delay(10);
    }
    await this.flushDeletions();
    try {
      await this.store.release(this.owner);
    } catch (error) {
      this.logger.warn(`Could not release the Mercure outbox leases at shutdown (they expire by themselves): ${messageOf(error)}`);
    }
    // Rows whose delivery was cut short have left `heldIds` by now (their chains ended): count both.
    const left = this.abandoned + this.heldIds.size;
    if (left > 0) {
      this.logger.log(`${left} Mercure outbox row(s) left undelivered at shutdown, for the next start or another instance`);
    }
  }

  private async claimLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        const room = this.options.batchSize * 10 - this.heldIds.size;
        if (room <= 0) {
          this.moreWaiting = true;
          break;
        }
        const limit = Math.min(room, this.options.batchSize);
        const now = Date.now();
        const rows = await this.store.claim(this.owner, now, now + this.options.leaseDuration, limit);
        this.moreWaiting = rows.length === limit;
        for (const row of rows) this.schedule(row);
        if (this.moreWaiting) this.again = true;
      } while (this.again && !this.stopping);
    } catch (error) {
      // The database may be restarting: the sweep tries again; one line per minute at most.
      if (Date.now() - this.claimErrorLoggedAt > 60_000) {
        this.claimErrorLoggedAt = Date.now();
        this.logger.warn(`Could not read the Mercure outbox (retrying every ${this.options.sweepInterval} ms): ${messageOf(error)}`);
      }
    } finally {
      this.claiming = false;
      this.notifyIdle();
    }
  }

  private schedule(row: OutboxRow): void {
    this.heldIds.add(row.id);
    const previous = this.chains.get(row.orderingKey);
    const next = (previous ? previous.then(() => this.deliver(row)) : this.deliver(row)).catch((error) =>
      this.logger.error(`Mercure outbox row ${row.id} stopped unexpectedly: ${messageOf(error)}`),
    );
    this.chains.set(row.orderingKey, next);
    void next.then(() => {
      if (this.chains.get(row.orderingKey) === next) this.chains.delete(row.orderingKey);
      this.heldIds.delete(row.id);
      if (this.moreWaiting && this.heldIds.size < this.options.batchSize * 5) this.wake();
      this.notifyIdle();
    });
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const update = new Update(row.topics, row.data, { private: row.private, id: row.updateId, type: row.type, retry: row.retry });
    const incidents = this.incidentsOf(row.hub);
    for (let attempt = row.attempts + 1; !this.stopped; attempt++) {
      await this.slots.acquire();
      if (this.stopped) {
        this.slots.release();
        break;
      }
      this.sending++;
      let error: unknown;
      try {
        await this.hubs.get(row.hub).sendOnce(update);
        incidents.succeeded();
        this.scheduleDeletion(row.id);
        return;
      } catch (caught) {
        error = caught;
      } finally {
        this.sending--;
        this.slots.release();
      }
      const reason = messageOf(error);
      if (error instanceof HubDeliveryError && !error.retryable) {
        incidents.gaveUp(`Mercure hub "${row.hub}" refused outbox row ${row.id} (topic ${JSON.stringify(row.topics[0])}): ${reason}; it is kept aside, see MercureOutbox.failed()`, reason);
        await this.store.markFailed(row.id, Date.now(), attempt, reason).catch((e) =>
          this.logger.error(`Could not mark Mercure outbox row ${row.id} as failed: ${messageOf(e)}`),
        );
        return;
      }
      incidents.failed(reason);
      await this.sleep(this.backoff(attempt, (error as HubDeliveryError)?.retryAfter));
    }
    this.abandoned++;
  }

  private incidentsOf(hub: string): DeliveryIncidents {
    let incidents = this.incidents.get(hub);
    if (!incidents) {
      incidents = new DeliveryIncidents(this.logger, hub, 'outbox rows are kept and retried until it accepts them', this.options.alertAfter);
      this.incidents.set(hub, incidents);
    }
    return incidents;
  }

  /** Deletes delivered rows in batches: one statement for all the deliveries of a turn. */
  private scheduleDeletion(id: number): void {
    this.deletions.push(id);
    if (!this.deleting) {
      this.deleting = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushDeletions());
    }
  }

  private async flushDeletions(): Promise<void> {
    while (this.deletions.length > 0) {
      const ids = this.deletions.splice(0, 500);
      try {
        await this.store.delete(ids);
      } catch (error) {
        // Delivered but not deleted: delivered again (same update id) once the lease expires.
        this.logger.warn(`Could not delete ${ids.length} delivered Mercure outbox row(s): ${messageOf(error)}`);
      }
    }
    this.deleting = undefined;
    this.notifyIdle();
  }

  private async renew(): Promise<void> {
    if (this.heldIds.size === 0 || this.stopped) return;
    try {
      await this.store.renew(this.owner, [...this.heldIds], Date.now() + this.options.leaseDuration);
    } catch (error) {
      this.logger.warn(`Could not renew the Mercure outbox leases: ${messageOf(error)}`);
    }
  }

  private backoff(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, this.options.maxRetryDelay);
    return Math.random() * Math.min(this.options.maxRetryDelay, this.options.retryDelay * 2 ** Math.min(attempt - 1, 30));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private isIdle(): boolean {
    return this.heldIds.size === 0 && !this.claiming && !this.adopting && this.deletions.length === 0 && !this.deleting;
  }

  private notifyIdle(): void {
    if (this.isIdle()) {
      for (const waiter of [...this.idleWaiters]) waiter();
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
