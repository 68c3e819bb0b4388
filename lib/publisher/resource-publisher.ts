import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/core';
import { freshEntityManager } from '../orm/mikro-orm-compat';
import { MercureOutbox } from '../outbox/mercure-outbox';
import type { EntityChangeKind } from '../resource/api-resource.options';
import { MercureUpdateFactory } from '../resource/mercure-update.factory';
import { HubRegistry } from './hub-registry';
import type { Update } from './update';

export interface ResourcePublishOptions {
  /**
   * The EntityManager of the write. When it is in a transaction, the update is built inside it
   * and, in outbox mode, written as a row of that transaction (it exists if and only if it commits).
   */
  em?: EntityManager;
}

/** An update as the listener would publish it, and the name of its hub. */
export interface BuiltResourceUpdate {
  readonly hub: string;
  readonly update: Update;
}

/**
 * Publishes by hand exactly the update the flush listener would for an entity and a change kind
 * (topics, `private`, data, id, type, retry, hub, `operations`), for writes that bypass the unit
 * of work (`nativeUpdate`, `nativeDelete`, `em.upsert`, QueryBuilder, raw SQL).
 *
 * ```ts
 * await em.nativeUpdate(Book, { id }, { title });
 * await resourcePublisher.publish(await em.findOneOrFail(Book, id, { refresh: true }), 'update');
 * ```
 */
@Injectable()
export class MercureResourcePublisher {
  constructor(
    private readonly orm: MikroORM,
    private readonly updates: MercureUpdateFactory,
    private readonly hubs: HubRegistry,
    private readonly outbox: MercureOutbox,
  ) {}

  /** The update the listener would publish, or undefined when the resource publishes nothing for this change. */
  async build(entity: object, kind: EntityChangeKind, options: ResourcePublishOptions = {}): Promise<BuiltResourceUpdate | undefined> {
    const built = await this.updates.create(entity, kind, () => freshEntityManager(this.orm.em, transactionOf(options.em)));
    return built && { hub: built.hub ?? this.hubs.defaultName, update: built.toUpdate() };
  }

  /**
   * Builds and publishes it. Outbox mode: written to the outbox (in `options.em`'s transaction when
   * there is one, delivered after its commit). Memory mode: handed to the hub's queue, resolving once
   * the hub accepted it; call it after your transaction committed.
   */
  async publish(entity: object, kind: EntityChangeKind, options: ResourcePublishOptions = {}): Promise<void> {
    const built = await this.build(entity, kind, options);
    if (!built) {
      return;
    }
    if (this.outbox.enabled) {
      await this.outbox.add([built.update], transactionOf(options.em), built.hub);
      return;
    }
    await this.hubs.get(built.hub).publish(built.update);
  }
}

function transactionOf(em: EntityManager | undefined): unknown {
  return em?.isInTransaction() ? em.getTransactionContext() : undefined;
}
