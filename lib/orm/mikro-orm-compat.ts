import { ChangeSetType } from '@mikro-orm/core';
import type { ChangeSet, Collection, Connection, EntityManager, EntityMetadata, MikroORM, Platform } from '@mikro-orm/core';
import type { EntityChangeKind } from '../resource/api-resource.options';

/*
 * The few MikroORM calls whose shape differs (or may differ) between 6.6 and 7, in one place.
 * Everything else sticks to `changeSet.meta`, `changeSet.type` and `changeSet.entity`.
 */

/** Metadata of every discovered entity (a dictionary in 6, a map-like store in 7). */
export function listEntityMetadata(orm: MikroORM): EntityMetadata[] {
  const all: unknown = orm.getMetadata().getAll();
  if (all instanceof Map) {
    return [...all.values()];
  }
  return Object.values(all as Record<string, EntityMetadata>);
}

/** What a change set does, with the early variants (used to break cycles) folded in. */
export function changeKindOf(changeSet: ChangeSet<any>): EntityChangeKind {
  switch (changeSet.type) {
    case ChangeSetType.CREATE:
      return 'create';
    case ChangeSetType.DELETE:
    case ChangeSetType.DELETE_EARLY:
      return 'delete';
    default:
      return 'update';
  }
}

/** The entity owning a collection whose items changed (M:N changes produce no change set of it). */
export function collectionOwner(collection: Collection<any, any>): object | undefined {
  return (collection as unknown as { owner?: object }).owner;
}

/** The connection transactions and savepoints are begun on. */
export function writeConnection(em: EntityManager): Connection {
  return em.getConnection('write');
}

/**
 * The key a primary key serializes under. MikroORM 6 asks the platform (only MongoDB's renames
 * `_id` to `id`); MikroORM 7 dropped that hook and keeps the property name.
 */
export function serializedPrimaryKeyName(platform: Platform, name: string): string {
  const rename = (platform as { getSerializedPrimaryKeyField?(field: string): string }).getSerializedPrimaryKeyField;
  return rename ? rename.call(platform, name) : name;
}

/**
 * A fresh EntityManager (empty identity map, not the request's) whose queries run in the
 * transaction `ctx` when given: what updates are built with, so that inside a transaction they
 * see its uncommitted rows, and outside one the committed state.
 */
/** `freshEntityManager`, forked on first use only: most flushes never need one. */
export function lazyFreshEntityManager(em: EntityManager, ctx?: unknown): () => EntityManager {
  let fork: EntityManager | undefined;
  return () => (fork ??= freshEntityManager(em, ctx));
}

export function freshEntityManager(em: EntityManager, ctx?: unknown): EntityManager {
  const fork = em.fork({ clear: true, useContext: false });
  if (ctx) {
    fork.setTransactionContext(ctx as never);
  }
  return fork;
}
