import type { EntityManager, EntityMetadata } from '@mikro-orm/core';

/** Items of the collections `names` of `entity`, loaded because they were not initialized. */
export type CollectionLoader = (entity: object, meta: EntityMetadata, names: readonly string[]) => Promise<Map<string, readonly object[]>>;

/** Initializes the entity's own collections (through the EntityManager that manages it). */
export const initializeCollections: CollectionLoader = async (entity, _meta, names) => {
  const items = new Map<string, readonly object[]>();
  for (const name of names) {
    const collection = (entity as Record<string, { init(): Promise<unknown>; getItems(check?: boolean): object[] }>)[name];
    await collection.init();
    items.set(name, collection.getItems(false));
  }
  return items;
};

/**
 * Loads the collections through `em` (e.g. one bound to an open transaction), leaving the entity
 * itself untouched: a fresh copy of it is loaded with the collections populated.
 */
export function loadCollectionsWith(em: EntityManager): CollectionLoader {
  return async (entity, meta, names) => {
    const where = Object.fromEntries((meta.primaryKeys as string[]).map((key) => [key, (entity as Record<string, unknown>)[key]]));
    const copy = await em.findOne(meta.class as any, where as any, { populate: names as any, refresh: true });
    const items = new Map<string, readonly object[]>();
    for (const name of names) {
      const collection = copy && (copy as Record<string, { getItems(check?: boolean): object[] }>)[name];
      items.set(name, collection ? collection.getItems(false) : []);
    }
    return items;
  };
}

/** Orders entities by primary key, ascending (numbers as numbers, anything else as strings). */
export function byPrimaryKey(meta: EntityMetadata | undefined): (a: object, b: object) => number {
  const keys = (meta?.primaryKeys as string[] | undefined) ?? [];
  return (a, b) => {
    for (const key of keys) {
      const order = compareKeys((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
      if (order !== 0) {
        return order;
      }
    }
    return 0;
  };
}

function compareKeys(a: unknown, b: unknown): number {
  const left = keyValue(a);
  const right = keyValue(b);
  if (typeof left === 'number' && typeof right === 'number') {
    return left - right;
  }
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    return left < right ? -1 : left > right ? 1 : 0;
  }
  const l = String(left);
  const r = String(right);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** A key part that is itself an entity (a relation in a composite key) compares by its own key. */
function keyValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const unwrapped = typeof (value as { unwrap?: unknown }).unwrap === 'function' ? (value as { unwrap(): object }).unwrap() : value;
    const id = (unwrapped as Record<string, unknown>).id;
    return id !== undefined ? keyValue(id) : JSON.stringify(unwrapped);
  }
  return value instanceof Date ? value.getTime() : value;
}
