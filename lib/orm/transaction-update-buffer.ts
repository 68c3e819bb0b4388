import { mergeChange, type Change } from './parent-changes';

type Changes = Map<string, Change>;

/**
 * Updates waiting for their transaction to commit, per transaction context (the object MikroORM
 * returns from `em.getTransactionContext()`: a root transaction or a savepoint).
 *
 * Several changes of one entity (same IRI) fold into one (see `mergeChange`): a create then an
 * update gives one update with the final data, anything then a delete gives the delete, and a
 * parent to publish absorbs the parent's own changes. The entity keeps the
 * position of its first change, so related resources are published in the order they appeared.
 * A released savepoint hands its updates to its parent, a rolled-back one drops them, and the
 * root's commit takes them all.
 */
export class TransactionUpdateBuffer {
  // Weak: a transaction whose end we never hear of (an error between BEGIN and its events) is collected.
  private readonly changes = new WeakMap<object, Changes>();
  private readonly parents = new WeakMap<object, object>();

  /** Records that `savepoint` was opened inside `parent`. */
  savepointOpened(savepoint: object, parent: object): void {
    this.parents.set(savepoint, parent);
  }

  isSavepoint(ctx: object): boolean {
    return this.parents.has(ctx);
  }

  add(ctx: object, updates: Iterable<Change>): void {
    let changes = this.changes.get(ctx);
    if (!changes) {
      changes = new Map();
      this.changes.set(ctx, changes);
    }
    for (const update of updates) {
      mergeChange(changes, update);
    }
  }

  /** The IRIs buffered for `ctx` (a live view), or undefined when none. */
  peek(ctx: object): ReadonlyMap<string, Change> | undefined {
    return this.changes.get(ctx);
  }

  /** A savepoint was released: its updates now belong to the enclosing transaction. */
  release(savepoint: object): void {
    const parent = this.parents.get(savepoint);
    const changes = this.changes.get(savepoint);
    this.changes.delete(savepoint);
    this.parents.delete(savepoint);
    if (parent && changes) {
      this.add(parent, changes.values());
    }
  }

  /** The root transaction committed: its updates, to publish now (empty when none). */
  take(root: object): Change[] {
    const changes = this.changes.get(root);
    this.changes.delete(root);
    return changes ? [...changes.values()] : [];
  }

  /** The transaction or savepoint rolled back: its updates are dropped. */
  discard(ctx: object): void {
    this.changes.delete(ctx);
    this.parents.delete(ctx);
  }
}
