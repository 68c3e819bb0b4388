import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { EventSubscriber, FlushEventArgs, TransactionEventArgs, UnitOfWork } from '@mikro-orm/core';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { HubRegistry } from '../publisher/hub-registry';
import type { EntityChangeKind } from '../resource/api-resource.options';
import { MercureUpdateFactory } from '../resource/mercure-update.factory';
import type { ResourceUpdate } from '../resource/resource-update';
import { ResourceMetadataRegistry } from '../resource/resource-metadata.registry';
import { changeKindOf, collectionOwner, writeConnection } from './mikro-orm-compat';
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
 * Delivery: by default the flush does not wait: each entity's JSON-LD is snapshotted during the
 * flush, and encoded and queued right after it returns (see `UpdateDispatcher`); hub failures are
 * logged by the queue and never reach the caller. With `delivery.waitForDelivery` the flush
 * (outside a transaction) or the commit waits until the hub accepted every update, and rejects
 * if one could not be delivered; the data is committed by then.
 *
 * Needs from the module: `MikroORM`, `ResourceMetadataRegistry`, `MercureUpdateFactory`,
 * `HubRegistry`, and the options under `MERCURE_RESOLVED_OPTIONS` (see `resource.providers.ts`).
 */
@Injectable()
export class MercureFlushListener implements EventSubscriber, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Mercure');
  private readonly waitForDelivery: boolean;
  private readonly transactions = new TransactionUpdateBuffer();
  private readonly dispatcher: UpdateDispatcher;
  // The deletes noted by onFlush, per unit of work until its afterFlush; a flush that fails never
  // reaches afterFlush, and the next onFlush of that unit of work replaces its entry.
  private readonly pendingDeletes = new WeakMap<UnitOfWork, ResourceUpdate[]>();
  private active = false;
  private stopObservingSavepoints?: () => void;

  constructor(
    private readonly orm: MikroORM,
    private readonly resources: ResourceMetadataRegistry,
    private readonly updates: MercureUpdateFactory,
    private readonly hubs: HubRegistry,
    /** The module's options; only `delivery.waitForDelivery` is read. */
    @Inject(MERCURE_RESOLVED_OPTIONS) options: { delivery?: { waitForDelivery?: boolean } },
  ) {
    this.waitForDelivery = options.delivery?.waitForDelivery ?? false;
    this.dispatcher = new UpdateDispatcher(hubs);
  }

  /**
   * Resolves once the updates of the flushes and commits done so far are in their hubs' queues
   * (in the default mode they are queued just after the flush returns); then `HubPublisher.drain()`
   * covers them. For tests that use a real transport rather than `UpdateRecorder.waitFor()`.
   */
  whenQueued(): Promise<void> {
    return this.dispatcher.whenQueued();
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
      rolledBack: (ctx) => this.transactions.discard(ctx),
    });
    // Forks made by em.transactional() clone the event manager, this subscriber included.
    this.orm.em.getEventManager().registerSubscriber(this);
    this.active = true;
  }

  onModuleDestroy(): void {
    // MikroORM has no way to unregister a subscriber; stop acting instead.
    this.active = false;
    this.stopObservingSavepoints?.();
    // Nest destroys a module's providers before the module itself, whose hook drains the hubs.
    this.dispatcher.queuePending();
  }

  onFlush(args: FlushEventArgs): void {
    if (!this.active) {
      return;
    }
    const deletes: ResourceUpdate[] = [];
    for (const changeSet of args.uow.getChangeSets()) {
      if (changeKindOf(changeSet) === 'delete' && this.updates.publishesClass(changeSet.meta.class)) {
        this.build(changeSet.entity, 'delete', deletes);
      }
    }
    this.pendingDeletes.set(args.uow, deletes);
  }

  afterFlush(args: FlushEventArgs): Promise<void> | void {
    const deletes = this.pendingDeletes.get(args.uow) ?? [];
    this.pendingDeletes.delete(args.uow);
    if (!this.active) {
      return;
    }
    const changed: ResourceUpdate[] = [];
    const seen = new Set<object>();
    for (const changeSet of args.uow.getChangeSets()) {
      const kind = changeKindOf(changeSet);
      if (kind !== 'delete' && !seen.has(changeSet.entity) && this.updates.publishesClass(changeSet.meta.class)) {
        seen.add(changeSet.entity);
        this.build(changeSet.entity, kind, changed);
      }
    }
    for (const collection of args.uow.getCollectionUpdates()) {
      const owner = collectionOwner(collection);
      if (owner && !seen.has(owner) && this.updates.publishesClass(owner.constructor)) {
        seen.add(owner);
        this.build(owner, 'update', changed);
      }
    }
    changed.push(...deletes);
    if (changed.length === 0) {
      return;
    }
    if (args.em.isInTransaction()) {
      this.transactions.add(args.em.getTransactionContext() as object, changed);
      return;
    }
    return this.publish(fold(changed));
  }

  afterTransactionCommit(args: TransactionEventArgs): Promise<void> | void {
    const ctx = args.transaction as object | undefined;
    if (!ctx) {
      return;
    }
    // MikroORM 7 reports savepoints here too; in 6 only root transactions get here.
    if (this.transactions.isSavepoint(ctx)) {
      this.transactions.release(ctx);
      return;
    }
    const updates = this.transactions.take(ctx);
    return updates.length > 0 && this.active ? this.publish(updates) : undefined;
  }

  afterTransactionRollback(args: TransactionEventArgs): void {
    if (args.transaction) {
      this.transactions.discard(args.transaction as object);
    }
  }

  private build(entity: object, kind: EntityChangeKind, into: ResourceUpdate[]): void {
    try {
      const update = this.updates.create(entity, kind);
      if (update) {
        into.push(update);
      }
    } catch (error) {
      // A throwing `topics`/`data`/`id` function is a bug of the application; in the default mode it
      // costs this update only, never the request.
      if (this.waitForDelivery) {
        throw error;
      }
      this.logger.error(`Could not build the Mercure update of a ${entity.constructor.name} (${kind}): ${error?.message ?? error}`, error?.stack);
    }
  }

  private publish(updates: readonly ResourceUpdate[]): Promise<void> | void {
    if (this.waitForDelivery) {
      return this.dispatcher.publishAndWait(updates);
    }
    this.dispatcher.dispatchSoon(updates);
  }
}

/** One update per IRI: two entity objects may share one (a delete and a re-create of the same key). */
function fold(updates: readonly ResourceUpdate[]): ResourceUpdate[] {
  const byIri = new Map<string, ResourceUpdate>();
  for (const update of updates) {
    byIri.set(update.iri, update);
  }
  return [...byIri.values()];
}
