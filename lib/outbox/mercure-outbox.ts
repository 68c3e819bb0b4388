import { Inject, Injectable } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import type { ResolvedMercureOptions } from '../mercure-options.resolver';
import { listEntityMetadata } from '../orm/mikro-orm-compat';
import { HubRegistry } from '../publisher/hub-registry';
import type { Update } from '../publisher/update';
import { MercureOutboxEntry } from './mercure-outbox.entity';
import { outboxRowOf } from './outbox-rows';
import { OutboxRelay } from './outbox-relay';
import { OutboxStore, type FailedOutboxRow, type NewOutboxRow, type OutboxRow } from './outbox-store';

/** How far behind the relay is. */
export interface MercureOutboxStats {
  /** Rows waiting for delivery (not failed). */
  pending: number;
  /** Age of the oldest waiting row, in ms (0 when none). */
  oldestAgeMs: number;
  /** Rows a hub refused for good, kept aside (see `failed()`). */
  failed: number;
  /** Rows this process has claimed and is delivering. */
  inFlight: number;
}

/**
 * The transactional outbox (`delivery.mode: 'outbox'`): the listener writes each update as a row
 * in the transaction of the change, and the relay delivers the rows after the commit.
 *
 * Inject it to watch the relay (`stats()`), and to see, retry or discard the rows a hub refused
 * for good (`failed()`, `retryFailed()`, `discardFailed()`). It also lets you put updates of your
 * own in the outbox, in your transaction (`add()`).
 */
@Injectable()
export class MercureOutbox implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly enabled: boolean;
  private store?: OutboxStore;
  private relay?: OutboxRelay;

  constructor(
    private readonly orm: MikroORM,
    private readonly hubs: HubRegistry,
    @Inject(MERCURE_RESOLVED_OPTIONS) private readonly options: ResolvedMercureOptions,
  ) {
    this.enabled = options.delivery.mode === 'outbox';
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    if (!listEntityMetadata(this.orm).some((meta) => meta.class === MercureOutboxEntry)) {
      throw new Error(
        "MercureModule: `delivery.mode: 'outbox'` needs the outbox entity: add `MercureOutboxSchema` (from 'nestjs-mercure') " +
          "to MikroORM's `entities`, then create its table with a migration or the schema generator.",
      );
    }
    this.store = new OutboxStore(this.orm);
    const { delivery } = this.options;
    this.relay = new OutboxRelay(this.store, this.hubs, {
      ...delivery.outbox,
      retryDelay: delivery.retryDelay,
      maxRetryDelay: delivery.maxRetryDelay,
    });
  }

  /** After every module's init (the app may create its tables then): checks the table, starts the relay. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.store || !this.relay) return;
    await this.store.checkTable();
    this.relay.start();
  }

  /** Before the hubs' connections close: lets the sends in flight finish, leaves the rest in the table. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop(this.options.delivery.shutdownTimeout);
  }

  /**
   * Writes updates as outbox rows in the transaction `ctx` (MikroORM's transaction context, e.g.
   * `em.getTransactionContext()`); without one, in a transaction of their own. `hub` is a
   * configured hub's name, the default hub when absent.
   */
  async add(updates: readonly Update[], ctx?: unknown, hub = this.hubs.defaultName): Promise<void> {
    this.hubs.get(hub); // an unknown hub fails here, not in the relay
    const now = Date.now();
    const rows = updates.map((update) => outboxRowOf(hub, update, now));
    // Unleased: written in the caller's transaction, whose commit this service does not see.
    if (ctx) {
      await this.requireStore().insert(rows, ctx);
    } else {
      this.adopt(await this.write(rows, undefined));
    }
  }

  /**
   * @internal The listener's way in: the rows of one transaction (`ctx`; without one, a transaction
   * of their own), leased to this process's relay. Once the transaction committed, hand them to
   * `adopt()`; if it rolls back they are gone.
   */
  async write(rows: readonly NewOutboxRow[], ctx: unknown): Promise<OutboxRow[]> {
    const store = this.requireStore();
    // A stopped relay would never deliver them: leave them free for another instance or the next start.
    const lease = this.relay?.takesNewRows ? { owner: this.relay.owner, until: Date.now() + this.options.delivery.outbox.leaseDuration } : undefined;
    if (ctx) {
      return store.insert(rows, ctx, lease);
    }
    const connection = this.orm.em.getConnection('write') as unknown as { transactional<T>(cb: (trx: unknown) => Promise<T>): Promise<T> };
    return connection.transactional((trx) => store.insert(rows, trx, lease));
  }

  /** @internal After the commit that wrote them: the relay delivers the rows at once. */
  adopt(rows: readonly OutboxRow[]): void {
    this.relay?.adopt(rows);
  }

  /** @internal Rows may be waiting (another instance's, a retry): look now rather than at the next sweep. */
  wake(): void {
    this.relay?.wake();
  }

  async stats(): Promise<MercureOutboxStats> {
    const stats = await this.requireStore().stats();
    return {
      pending: stats.pending,
      failed: stats.failed,
      oldestAgeMs: stats.oldestCreatedAt === undefined ? 0 : Math.max(0, Date.now() - stats.oldestCreatedAt),
      inFlight: this.relay?.inFlight ?? 0,
    };
  }

  /** Rows a hub refused for good, oldest first. */
  failed(limit = 100): Promise<FailedOutboxRow[]> {
    return this.requireStore().failed(limit);
  }

  /** Puts failed rows (all, or those ids) back in line; returns how many. */
  async retryFailed(ids?: readonly number[]): Promise<number> {
    const count = await this.requireStore().retryFailed(ids);
    this.wake();
    return count;
  }

  /** Deletes failed rows (all, or those ids); returns how many. */
  discardFailed(ids?: readonly number[]): Promise<number> {
    return this.requireStore().discardFailed(ids);
  }

  /** Resolves once this process holds no row (for tests); `false` after `timeoutMs`. */
  whenIdle(timeoutMs = 10_000): Promise<boolean> {
    return this.relay ? this.relay.whenIdle(timeoutMs) : Promise.resolve(true);
  }

  private requireStore(): OutboxStore {
    if (!this.store) {
      throw new Error("MercureOutbox: the outbox is off; set `delivery.mode: 'outbox'` in MercureModule's options");
    }
    return this.store;
  }
}
