import type { Connection } from '@mikro-orm/core';

export interface SavepointObserver {
  opened(savepoint: object, parent: object): void;
  /** Called after any successful COMMIT or RELEASE SAVEPOINT of this connection. */
  committed(ctx: object): void | Promise<void>;
  /** Called when a COMMIT or RELEASE SAVEPOINT of this connection (or its commit hooks) failed. */
  commitFailed?(ctx: object): void;
  /** Called after any ROLLBACK or ROLLBACK TO SAVEPOINT of this connection, failed or not. */
  rolledBack(ctx: object): void;
}

type Begin = (options?: { ctx?: unknown }, ...rest: unknown[]) => Promise<unknown>;
type End = (ctx: unknown, ...rest: unknown[]) => Promise<void>;

/**
 * MikroORM 6 fires transaction events for root transactions only: a nested `em.transactional()`
 * (a savepoint) commits or rolls back silently, so its changes cannot be told from the outer
 * transaction's. This wraps the connection's public `begin`/`commit`/`rollback` (the same in
 * MikroORM 6 and 7: `begin({ ctx: parent })` opens a savepoint) on this one instance, to learn each
 * savepoint's parent and how it ends. Returns a function that turns the observer off.
 */
export function observeSavepoints(connection: Connection, observer: SavepointObserver): () => void {
  const target = connection as unknown as { begin: Begin; commit: End; rollback: End };
  const begin = target.begin;
  const commit = target.commit;
  const rollback = target.rollback;
  let active = true;

  target.begin = async function (this: unknown, options, ...rest) {
    const ctx = await begin.call(this, options, ...rest);
    if (active && isObject(options?.ctx) && isObject(ctx)) {
      observer.opened(ctx, options.ctx);
    }
    return ctx;
  };
  target.commit = async function (this: unknown, ctx, ...rest) {
    try {
      await commit.call(this, ctx, ...rest);
    } catch (error) {
      if (active && isObject(ctx)) {
        observer.commitFailed?.(ctx);
      }
      throw error;
    }
    if (active && isObject(ctx)) {
      await observer.committed(ctx);
    }
  };
  target.rollback = async function (this: unknown, ctx, ...rest) {
    try {
      await rollback.call(this, ctx, ...rest);
    } finally {
      if (active && isObject(ctx)) {
        observer.rolledBack(ctx);
      }
    }
  };
  // Other code may have wrapped these after us, so we switch off rather than restore.
  return () => {
    active = false;
  };
}

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}
