import type { EntityProperty } from '@mikro-orm/core';

export enum ValueKind {
  Scalar,
  Primary,
  ToOne,
  ToMany,
  Embedded,
}

/**
 * How one visible property is written; computed once per entity class and groups. It copies what
 * it needs from MikroORM's (large) property objects, so that the loop reads small uniform objects.
 */
export interface PropertyPlan {
  readonly name: string;
  readonly key: string;
  readonly kind: ValueKind;
  /** An unset (`undefined`) value is stored, hence loaded, as `null`. */
  readonly nullWhenUnset: boolean;
  readonly getterName?: string;
  readonly serializer?: (value: any) => unknown;
  readonly customType?: EntityProperty['customType'];
  /** May hold a `ScalarReference` (a lazy scalar declared with `ref: true`). */
  readonly scalarReference: boolean;
  readonly prop: EntityProperty;
}

/**
 * Copies the visible properties of `source` into `target`, in plan order. `loaded` holds the items
 * of to-many collections loaded for the occasion.
 */
export type PropertyWriter = (
  source: Record<string, unknown>,
  target: Record<string, unknown>,
  groups: readonly string[] | undefined,
  loaded: Map<string, readonly object[]> | undefined,
) => void;

/** A JSON-LD document: `@id` and `@type`, then the visible properties of `source` in plan order. */
export type DocumentWriter = (
  id: string,
  type: string,
  source: Record<string, unknown>,
  groups: readonly string[] | undefined,
  loaded: Map<string, readonly object[]> | undefined,
  /**
   * The array an empty to-many collection becomes, shared by every document (frozen): for
   * snapshots that are only ever JSON-encoded. Without it, each gets a new array.
   */
  emptyList?: readonly never[],
) => { '@id': string; '@type': string; [property: string]: unknown };

/** The plans of one entity class and groups: the visible to-many properties, and the writers. */
export interface ClassPlan {
  readonly toMany: readonly PropertyPlan[];
  readonly write: PropertyWriter;
  readonly document: DocumentWriter;
}
