import { Reference } from '@mikro-orm/core';
import type { ChangeSet } from '@mikro-orm/core';
import type { EntityChangeKind } from '../resource/api-resource.options';
import type { IriConverter } from '../resource/iri-converter';
import type { ResourceMetadata } from '../resource/resource-metadata';
import type { ParentRelation } from '../resource/resource-parents';
import type { ResourceUpdate } from '../resource/resource-update';

/** A parent noted during `onFlush`: the entity (its key may not be assigned yet) or its key. */
export interface ParentRef {
  readonly parent: ResourceMetadata;
  readonly entity?: object;
  readonly key?: Record<string, unknown>;
}

/**
 * A parent to publish once the commit is certain: built late, from a fresh load, so its data is
 * what `GET` answers after the commit whatever else the transaction changed.
 */
export class PendingParent {
  constructor(
    readonly iri: string,
    /** `create` when the parent itself was created in the same commit. */
    readonly kind: 'create' | 'update',
    readonly parent: ResourceMetadata,
    readonly key: Record<string, unknown>,
  ) {}

  as(kind: 'create' | 'update'): PendingParent {
    return kind === this.kind ? this : new PendingParent(this.iri, kind, this.parent, this.key);
  }
}

/** What a transaction or a flush will publish, by IRI. */
export type Change = ResourceUpdate | PendingParent;

/**
 * The parents a change touches, read from the owning side: a create's new parent, a delete's
 * parent, a move's old parent (from the change set's original data) and new one. Inverse
 * collections are never marked changed for these, so they cannot be relied on.
 */
export function parentsTouchedBy(changeSet: ChangeSet<any>, kind: EntityChangeKind, relations: readonly ParentRelation[]): ParentRef[] {
  const touched: ParentRef[] = [];
  const entity = changeSet.entity as Record<string, unknown>;
  const original = changeSet.originalEntity as Record<string, unknown> | undefined;
  for (const { property, parent } of relations) {
    const current = entity[property];
    if (kind === 'create') {
      pushRef(touched, parent, current);
    } else if (kind === 'delete') {
      pushRef(touched, parent, current ?? original?.[property]);
    } else if (changeSet.payload && property in (changeSet.payload as object)) {
      pushRef(touched, parent, original?.[property]);
      pushRef(touched, parent, current);
    }
  }
  return touched;
}

function pushRef(into: ParentRef[], parent: ResourceMetadata, value: unknown): void {
  if (value === null || value === undefined) {
    return;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const entity = Reference.unwrapReference(value as object);
    // A plain object is a composite key as the change set stores it; an entity has a constructor of its own.
    if (entity.constructor !== Object) {
      into.push({ parent, entity });
      return;
    }
    into.push({ parent, key: entity as Record<string, unknown> });
    return;
  }
  const keys = parent.entityMeta.primaryKeys as string[];
  const values = Array.isArray(value) ? value : [value];
  into.push({ parent, key: Object.fromEntries(keys.map((name, i) => [name, values[i]])) });
}

/** The pending update of a noted parent, once the flush assigned the keys; undefined without one. */
export function pendingParentOf(ref: ParentRef, iris: IriConverter): PendingParent | undefined {
  const keys = ref.parent.entityMeta.primaryKeys as string[];
  const key = ref.entity ? Object.fromEntries(keys.map((name) => [name, (ref.entity as Record<string, unknown>)[name]])) : ref.key!;
  if (keys.some((name) => key[name] === undefined || key[name] === null)) {
    return undefined;
  }
  return new PendingParent(iris.getIriFromClass(ref.parent.entityClass, key), 'update', ref.parent, key);
}

/**
 * Adds a change to those of a flush or a transaction, one per IRI (the first keeps its position):
 * a delete wins over anything; a pending parent absorbs the entity's own create or update (its
 * fresh load carries both), keeping `create` when it was created in the same commit.
 */
export function mergeChange(changes: Map<string, Change>, change: Change): void {
  const existing = changes.get(change.iri);
  if (!existing || change.kind === 'delete') {
    changes.set(change.iri, change);
  } else if (existing instanceof PendingParent) {
    if (change.kind === 'create') {
      changes.set(change.iri, existing.as('create'));
    }
  } else if (change instanceof PendingParent) {
    if (existing.kind !== 'delete') {
      changes.set(change.iri, change.as(existing.kind));
    }
  } else {
    changes.set(change.iri, change);
  }
}
