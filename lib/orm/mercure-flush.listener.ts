import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager, EventSubscriber, FlushEventArgs, TransactionEventArgs, UnitOfWork } from '@mikro-orm/core';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { MercureOutbox } from '../outbox/mercure-outbox';
import { outboxRowOf } from '../outbox/outbox-rows';
import type { NewOutboxRow, OutboxRow } from '../outbox/outbox-store';
import { HubRegistry } from '../publisher/hub-registry';
import type { EntityChangeKind } from '../resource/api-resource.options';
import { IriConverter } from '../resource/iri-converter';
import { MercureUpdateFactory } from '../resource/mercure-update.factory';
import type { ResourceUpdate } from '../resource/resource-update';
import { ResourceMetadataRegistry } from '../resource/resource-metadata.registry';
import { CommitOrder, type CommitTicket } from './commit-order';
import { changeKindOf, collectionOwner, lazyFreshEntityManager, writeConnection } from './mikro-orm-compat';
import { mergeChange, parentsTouchedBy, pendingParentOf, PendingParent, type Change, type ParentRef } from './parent-changes';
import { observeSavepoints } from './savepoint-tracking';
import { TransactionUpdateBuffer } from './transaction-update-buffer';
import { UpdateDispatcher } from './update-dispatcher';

/**
 * Publishes the committed creates, updates and deletes of `@ApiResource({ mercure })` entities.
 *
 * - `onFlush` builds the deletes' updates (the IRI needs the primary key, and the identity is
 *   gone once the flush is done);
 * - `afterFlush` builds the creates' and updates' (ids are assigned, the data is what the
 *   database now holds); owners of changed many-to-many collections count as updated;
 * - outside a transaction the flush has committed, so they go to the hubs at once; inside one they
 *   wait in a buffer per transaction: a released savepoint passes them to its parent, a rollback
 *   drops them, the root's `afterTransactionCommit` publishes each entity's final state once.
 *
 * Writes that bypass the unit of work (`em.upsert`, `nativeUpdate`, `nativeDelete`, QueryBuilder)
 * fire no flush event and publish nothing: publish those with `HubPublisher`.
 *
 * Outbox mode (`delivery.mode: 'outbox'`): the same updates are written as rows of the outbox
 * table in `beforeTransactionCommit`, inside the transaction (the root one, or the implicit one of
 * a plain flush, whose creates and updates are built there: ids are assigned by then), so the
 * database keeps them if and only if it keeps the changes; once committed they are handed to this
 * process's relay (`MercureOutbox.adopt`), which delivers them without claiming them first.
 *
 * Memory mode: by default the flush does not wait: each entity's JSON-LD is snapshotted during the
 * flush, and encoded and queued right after it returns (see `UpdateDispatcher`); hub failures are
 * logged by the queue and never reach the caller. With `delivery.waitForDelivery` the flush
 * (outside a transaction) or the commit waits until the hub accepted every update, and rejects
 * if one could not be delivered; the data is committed by then.
 *
 * Needs from the module: `MikroORM`, `ResourceMetadataRegistry`, `MercureUpdateFactory`,
 * `HubRegistry`, and the options under `MERCURE_RESOLVED_OPTIONS` (see `resource.providers.ts`).
 */
@Injectable()
export class MercureFlushListener implements EventSubscriber, OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('Mercure');
  private readonly waitForDelivery: boolean;
  private readonly transactions = new TransactionUpdateBuffer();
  private readonly dispatcher: UpdateDispatcher;
  // The deletes noted by onFlush, per unit of work until its afterFlush; a flush that fails never
  // reaches afterFlush, and the next onFlush of that unit of work replaces its entry.
  private readonly pendingDeletes = new WeakMap<UnitOfWork, ResourceUpdate[]>();
  /** The parents touched by each unit of work's flush, noted in onFlush (the original values are there). */
  private readonly pendingParents = new WeakMap<UnitOfWork, ParentRef[]>();
  /** Publishes concurrent transactions in commit order (see `CommitOrder`). */
  private readonly order = new CommitOrder(HOLD_TIMEOUT_MS, (stale) =>
    this.logger.warn(`Published Mercure updates without waiting any longer for ${stale} earlier transaction(s) whose end was never reported`),
  );
  /** Tickets of root transactions that began committing, until their commit or rollback. */
  private readonly transactionTickets = new WeakMap<object, CommitTicket>();
  /** Tickets of flushes outside a transaction (their own implicit transaction), until their afterFlush. */
  private readonly flushTickets = new WeakMap<UnitOfWork, CommitTicket>();
  // Units of work flushing outside any transaction, between onFlush and afterFlush: only their
  // implicit transaction takes a flush ticket (MikroORM 7 passes `uow` for explicit ones too).
  private readonly implicitFlushes = new WeakSet<UnitOfWork>();
  /** Units of work whose implicit transaction wrote its updates to the outbox (afterFlush has nothing left to do). */
  private readonly outboxFlushes = new WeakSet<UnitOfWork>();
  /** The outbox rows each transaction wrote: its commit hands them to the relay. */
  private readonly outboxCommits = new WeakMap<object, OutboxRow[]>();
  private warnedNoImplicitTransaction = false;
  private active = false;
  private stopHooks?: () => void;
  private stopObservingSavepoints?: () => void;

  constructor(
    private readonly orm: MikroORM,
    private readonly resources: ResourceMetadataRegistry,
    private readonly updates: MercureUpdateFactory,
    private readonly hubs: HubRegistry,
    /** The module's options; only `delivery.waitForDelivery` is read. */
    @Inject(MERCURE_RESOLVED_OPTIONS) options: { delivery?: { waitForDelivery?: boolean } },
    private readonly outbox: MercureOutbox,
    private readonly iris: IriConverter,
  ) {
    this.waitForDelivery = options.delivery?.waitForDelivery ?? false;
    this.dispatcher = new UpdateDispatcher(hubs);
  }

  /**
   * Resolves once the updates of the flushes and commits done so far are in their hubs' queues
   * (in the default mode they are queued just after the flush returns); then `HubPublisher.drain()`
   * covers them. For tests that use a real transport rather than `UpdateRecorder.waitFor()`.
   */
  async whenQueued(): Promise<void> {
    await this.order.whenReleased();
    await this.dispatcher.whenQueued();
  }

  onModuleInit(): void {
    // Validates every @ApiResource (hub names included) so a bad configuration fails the boot.
    this.resources.initialize(this.hubs.names());
    this.stopObservingSavepoints = observeSavepoints(writeConnection(this.orm.em), {
      opened: (savepoint, parent) => this.transactions.savepointOpened(savepoint, parent),
      committed: (ctx) => {
        if (this.transactions.isSavepoint(ctx)) {
          this.transactions.release(ctx);
        }
      },
      rolledBack: (ctx) => this.discard(ctx),
      // A failed COMMIT with no rollback after it (em.commit()): nothing of it is published.
      commitFailed: (ctx) => this.discard(ctx),
    });
    // A manual HubPublisher.dispatch() after `await em.flush()` must not overtake the flush's updates.
    this.stopHooks = this.hubs.all().reduce<() => void>(
      (stop, hub) => {
        const remove = hub.beforeEnqueue(this.queuePendingHook);
        return () => (stop(), remove());
      },
      () => undefined,
    );
    // Forks made by em.transactional() clone the event manager, this subscriber included.
    this.orm.em.getEventManager().registerSubscriber(this);
    this.active = true;
  }

  onModuleDestroy(): void {
    // Nest destroys a module's providers before the module itself, whose hook drains the hubs.
    // The listener keeps publishing until the application shuts down, so that flushes made in
    // other providers' destroy hooks are published too (or logged as refused once the hubs closed).
    this.dispatcher.queuePending();
  }

  onApplicationShutdown(): void {
    // MikroORM has no way to unregister a subscriber; stop acting instead.
    this.active = false;
    this.stopObservingSavepoints?.();
    this.stopHooks?.();
    this.dispatcher.queuePending();
  }

  beforeTransactionCommit(args: TransactionEventArgs): Promise<void> | void {
    const ctx = args.transaction as object | undefined;
    if (!this.active || !ctx || this.transactions.isSavepoint(ctx)) {
      return;
    }
    if (this.outbox.enabled) {
      return this.writeOutbox(args, ctx);
    }
    if (args.uow && this.implicitFlushes.has(args.uow)) {
      // The implicit transaction of a flush outside any transaction: its updates are built at
      // afterFlush, after COMMIT; until then its ticket holds back every later one.
      this.flushTickets.set(args.uow, this.order.take());
      return;
    }
    const buffered = this.transactions.peek(ctx);
    if (buffered) {
      this.transactionTickets.set(ctx, this.order.take(buffered));
    }
  }

  async onFlush(args: FlushEventArgs): Promise<void> {
    if (!this.active) {
      return;
    }
    const inTransaction = args.em.isInTransaction();
    if (!inTransaction) {
      this.implicitFlushes.add(args.uow);
    }
    const deletes = Array.of<ResourceUpdate>();
    const parents = Array.of<ParentRef>();
    const em = lazyFreshEntityManager(this.orm.em, inTransaction ? args.em.getTransactionContext() : undefined);
    const changeSets = args.uow.getChangeSets();
    // Indexed, not `for...of`: across an `await` the iterator's result objects are not optimized
    // away, one allocation per entity during the flush (what a flush allocates decides how many
    // minor collections land in it: README, "Performance").
    for (let i = 0; i < changeSets.length; i++) {
      const changeSet = changeSets[i];
      const kind = changeKindOf(changeSet);
      const resource = this.resources.getByClass(changeSet.meta.class);
      const relations = resource && this.resources.getParents(resource);
      if (relations && relations.length > 0) {
        parents.push(...parentsTouchedBy(changeSet, kind, relations));
      }
      if (kind === 'delete' && this.updates.publishesClass(changeSet.meta.class)) {
        const building = this.build(changeSet.entity, 'delete', deletes, em);
        if (building) {
          await building;
        }
      }
    }
    this.pendingDeletes.set(args.uow, deletes);
    this.pendingParents.set(args.uow, parents);
  }

  async afterFlush(args: FlushEventArgs): Promise<void> {
    this.implicitFlushes.delete(args.uow);
    const ticket = this.flushTickets.get(args.uow);
    this.flushTickets.delete(args.uow);
    let handedOver = false;
    try {
      handedOver = await this.afterFlushWith(args, ticket);
    } finally {
      if (!handedOver) {
        this.order.settle(ticket);
      }
    }
  }

  /** True when the ticket went to `publish()`, which settles it. */
  private async afterFlushWith(args: FlushEventArgs, ticket: CommitTicket | undefined): Promise<boolean> {
    const deletes = this.pendingDeletes.get(args.uow) ?? [];
    const parents = this.pendingParents.get(args.uow) ?? [];
    this.pendingDeletes.delete(args.uow);
    this.pendingParents.delete(args.uow);
    if (!this.active || this.outboxFlushes.has(args.uow)) {
      this.outboxFlushes.delete(args.uow);
      return false;
    }
    const inTransaction = args.em.isInTransaction();
    const ctx = inTransaction ? (args.em.getTransactionContext() as object) : undefined;
    const em = lazyFreshEntityManager(this.orm.em, ctx);
    const changed = this.collect(await this.changesOf(args.uow, em), deletes, parents);
    if (changed.length === 0) {
      return false;
    }
    if (ctx) {
      this.transactions.add(ctx, changed);
      return false;
    }
    // Outside a transaction the flush has committed: parents load the committed state.
    const updates = await this.resolve(changed, em);
    if (this.outbox.enabled) {
      // No transaction around the flush (`implicitTransactions: false`): the rows cannot share it.
      await this.writeOutsideTransaction(updates);
      return false;
    }
    await this.publish(updates, ticket ?? this.order.take());
    return true;
  }

  /** One change per IRI: the flush's creates and updates, then its deletes, then the parents they touch. */
  private collect(changes: ResourceUpdate[], deletes: readonly ResourceUpdate[], parents: readonly ParentRef[]): Change[] {
    if (deletes.length === 0 && parents.length === 0) {
      // Already one per IRI: one change per entity (see `changesOf`), and an IRI names one entity
      // (paths are unique, keys within an identity map). The common flush needs no map.
      return changes;
    }
    const merged = new Map<string, Change>();
    for (const change of [...changes, ...deletes]) {
      mergeChange(merged, change);
    }
    for (const ref of parents) {
      const pending = this.updates.publishesClass(ref.parent.entityClass) ? pendingParentOf(ref, this.iris) : undefined;
      if (pending) {
        mergeChange(merged, pending);
      }
    }
    return [...merged.values()];
  }

  /** Creates, updates, and owners of changed many-to-many collections, once each; ids must be assigned. */
  private async changesOf(uow: UnitOfWork, em: () => EntityManager): Promise<ResourceUpdate[]> {
    // `Array.of()`, not `[]`, for the arrays that hold a flush's updates: see `compilePropertyWriter`.
    const changed = Array.of<ResourceUpdate>();
    // One change set per entity (MikroORM 6 and 7 keep them in a map by entity): no set of the
    // entities seen is needed unless a collection's owner may be one of them.
    const changeSets = uow.getChangeSets();
    for (let i = 0; i < changeSets.length; i++) {
      const changeSet = changeSets[i]; // indexed: see onFlush
      const kind = changeKindOf(changeSet);
      if (kind !== 'delete' && this.updates.publishesClass(changeSet.meta.class)) {
        const building = this.build(changeSet.entity, kind, changed, em);
        if (building) {
          await building;
        }
      }
    }
    const collections = uow.getCollectionUpdates();
    if (collections.length === 0) {
      return changed;
    }
    const seen = new Set<object>(changeSets.filter((changeSet) => changeKindOf(changeSet) !== 'delete').map((changeSet) => changeSet.entity));
    for (const collection of collections) {
      const owner = collectionOwner(collection);
      if (owner && !seen.has(owner) && this.updates.publishesClass(owner.constructor)) {
        seen.add(owner);
        const building = this.build(owner, 'update', changed, em);
        if (building) {
          await building;
        }
      }
    }
    return changed;
  }

  /** The updates of these changes: parents are loaded afresh through `em` and built now. */
  private async resolve(changes: readonly Change[], em: () => EntityManager): Promise<readonly ResourceUpdate[]> {
    if (!changes.some((change) => change instanceof PendingParent)) {
      return changes as readonly ResourceUpdate[]; // the common flush: nothing to load, no copy
    }
    const updates: ResourceUpdate[] = [];
    for (const change of changes) {
      if (!(change instanceof PendingParent)) {
        updates.push(change);
        continue;
      }
      try {
        const parent = await em().findOne(change.parent.entityClass as any, change.key as any);
        if (parent) {
          await this.build(parent, change.kind, updates, em);
        }
      } catch (error) {
        this.logBuildError(change.parent.className, change.kind, error);
      }
    }
    return updates;
  }

  /**
   * Outbox mode, just before COMMIT: the transaction's updates become rows of the outbox, written
   * with its context so that they commit or roll back with the changes.
   */
  private async writeOutbox(args: TransactionEventArgs, ctx: object): Promise<void> {
    let changes: Change[];
    const uow = args.uow;
    const em = lazyFreshEntityManager(this.orm.em, ctx);
    if (uow && this.implicitFlushes.has(uow)) {
      // A plain flush: its afterFlush comes after COMMIT, too late; build everything now.
      changes = this.collect(await this.changesOf(uow, em), this.pendingDeletes.get(uow) ?? [], this.pendingParents.get(uow) ?? []);
      this.pendingDeletes.delete(uow);
      this.pendingParents.delete(uow);
      this.outboxFlushes.add(uow);
    } else {
      changes = [...(this.transactions.peek(ctx)?.values() ?? [])];
    }
    const updates = await this.resolve(changes, em);
    if (updates.length === 0) {
      return;
    }
    this.outboxCommits.set(ctx, await this.outbox.write(this.rowsOf(updates), ctx));
  }

  private async writeOutsideTransaction(updates: readonly ResourceUpdate[]): Promise<void> {
    if (updates.length === 0) {
      return;
    }
    if (!this.warnedNoImplicitTransaction) {
      this.warnedNoImplicitTransaction = true;
      this.logger.warn(
        'A flush ran outside any transaction (MikroORM `implicitTransactions: false`?): its Mercure outbox rows are ' +
          'written right after it, so a crash in between loses them. Keep implicit transactions on with the outbox.',
      );
    }
    this.outbox.adopt(await this.outbox.write(this.rowsOf(updates), undefined));
  }

  /** The outbox rows of these updates, snapshotted now. */
  private rowsOf(updates: readonly ResourceUpdate[]): NewOutboxRow[] {
    const now = Date.now();
    return updates.map((update) => outboxRowOf(update.hub ?? this.hubs.defaultName, update.toUpdate(), now));
  }

  async afterTransactionCommit(args: TransactionEventArgs): Promise<void> {
    const ctx = args.transaction as object | undefined;
    if (!ctx) {
      return;
    }
    // MikroORM 7 reports savepoints here too; in 6 only root transactions get here.
    if (this.transactions.isSavepoint(ctx)) {
      this.transactions.release(ctx);
      return;
    }
    if (this.outbox.enabled) {
      this.transactions.take(ctx); // already in the outbox, committed with the changes
      const rows = this.outboxCommits.get(ctx);
      if (rows) {
        this.outboxCommits.delete(ctx);
        this.outbox.adopt(rows);
      }
      return;
    }
    const ticket = this.transactionTickets.get(ctx);
    this.transactionTickets.delete(ctx);
    const changes = this.transactions.take(ctx);
    let handedOver = false;
    try {
      if (changes.length === 0 || !this.active) {
        return;
      }
      // Committed: parents load the state every later reader sees.
      const updates = await this.resolve(changes, lazyFreshEntityManager(this.orm.em));
      handedOver = true;
      await this.publish(updates, ticket ?? this.order.take());
    } finally {
      if (!handedOver) {
        this.order.settle(ticket);
      }
    }
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.uow) {
      this.implicitFlushes.delete(args.uow);
      this.order.settle(this.flushTickets.get(args.uow));
      this.flushTickets.delete(args.uow);
    }
    if (args.transaction) {
      this.discard(args.transaction as object);
    }
  }

  /** The transaction or savepoint ended without committing: its updates are dropped. */
  private discard(ctx: object): void {
    this.transactions.discard(ctx);
    this.order.settle(this.transactionTickets.get(ctx));
    this.transactionTickets.delete(ctx);
  }

  private readonly queuePendingHook = (): void => this.dispatcher.queuePending();

  /** Builds the update into `into`; returns a promise only when building had to wait (e.g. to load a collection). */
  private build(entity: object, kind: EntityChangeKind, into: ResourceUpdate[], em: () => EntityManager): Promise<void> | void {
    let built: ReturnType<MercureUpdateFactory['create']>;
    try {
      built = this.updates.create(entity, kind, em);
    } catch (error) {
      this.logBuildError(entity.constructor.name, kind, error);
      return;
    }
    if (!(built instanceof Promise)) {
      if (built) {
        into.push(built);
      }
      return;
    }
    return built.then(
      (update) => {
        if (update) {
          into.push(update);
        }
      },
      (error) => this.logBuildError(entity.constructor.name, kind, error),
    );
  }

  /**
   * A throwing `topics`/`data`/`id` function (or a failed load) is a bug of the application: it
   * costs this update only, never the write, in every mode and under the testing module alike.
   */
  private logBuildError(className: string, kind: EntityChangeKind, error: any): void {
    this.logger.error(`Could not build the Mercure update of a ${className} (${kind}): ${error?.message ?? error}`, error?.stack);
  }

  private publish(updates: readonly ResourceUpdate[], ticket: CommitTicket): Promise<void> | void {
    if (updates.length === 0) {
      this.order.settle(ticket);
      return;
    }
    const iris = updates.map((update) => update.iri);
    if (this.waitForDelivery) {
      return this.order.run(ticket, iris, () => this.dispatcher.publishAndWait(updates));
    }
    const held = this.order.run(ticket, iris, () => this.dispatcher.dispatchSoon(updates));
    // Held back behind an earlier commit: the flush or the commit does not wait for it.
    if (held instanceof Promise) {
      held.catch(noop);
    }
  }
}

/** How long updates wait for an earlier transaction's commit to be reported before going anyway. */
const HOLD_TIMEOUT_MS = 30_000;

function noop(): void {}
