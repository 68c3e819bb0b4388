import type { EntityManager } from '@mikro-orm/core';
import type { JsonLdDocument } from './jsonld.serializer';

/** What a change did to an entity; deletes publish `{"@id", "@type"}` only. */
export type EntityChangeKind = 'create' | 'update' | 'delete';

/** A value or a promise of it: topic, id and data functions may be async. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Handed to `topics`, `id` and `data` functions next to the entity: what they need to load
 * relations MikroORM has not loaded. Use `em` (or `load`), never the entity's own EntityManager:
 * in outbox mode the update is built inside the transaction, before COMMIT, and `em` is bound to it.
 */
export interface MercureBuildContext {
  readonly kind: EntityChangeKind;
  /** Relative IRI of the entity, e.g. `/books/1`. */
  readonly iri: string;
  /** A fresh EntityManager that sees what the change wrote (the transaction's, while it is open). */
  readonly em: EntityManager;
  /** The entity behind a relation (an entity, a reference or a `Ref`), loaded through `em` when needed. */
  load<R extends object>(relation: R | { unwrap(): R } | null | undefined): Promise<R | null>;
}

/** Handed to a `data` function next to the entity. */
export interface MercureDataContext extends MercureBuildContext {
  readonly kind: Exclude<EntityChangeKind, 'delete'>;
  /** Topics the update goes to. */
  readonly topics: readonly string[];
  /** The JSON-LD document `GET iri` returns (with the resource's groups). */
  jsonLd(): Promise<JsonLdDocument>;
}

export interface MercureResourceOptions<T = any> {
  /**
   * Replaces the default topic (the entity's absolute IRI). Topics starting with `/` are made
   * absolute with the module's `baseUrl`; others are used as is. The first one is canonical.
   */
  topics?: string | string[] | ((entity: T, context: MercureBuildContext) => MaybePromise<string | string[]>);
  /** Private updates only reach subscribers authorized for one of their topics. */
  private?: boolean;
  /** The update id (the hub generates one when absent). */
  id?: string | ((entity: T, context: MercureBuildContext) => MaybePromise<string>);
  /** The SSE `event` field. */
  type?: string;
  /** The SSE `retry` field, in milliseconds. */
  retry?: number;
  /**
   * Replaces the JSON-LD payload of creates and updates: strings are sent as is, anything else is
   * JSON-encoded. Deletes always send `{"@id", "@type"}`.
   */
  data?: (entity: T, context: MercureDataContext) => unknown;
  /** MikroORM serialization groups of the JSON-LD payload. */
  groups?: string[];
  /** Name of the configured hub to publish to (the module's default hub when absent). */
  hub?: string;
  /** The changes that publish (all three by default); the others publish nothing. */
  operations?: EntityChangeKind[];
}

/** Names of the properties of `T` (the to-one relations among them are what `parents` accepts). */
export type RelationName<T> = Extract<keyof T, string>;

export interface ApiResourceOptions<T = any> {
  /** The JSON-LD `@type`; the class name by default. */
  shortName?: string;
  /** Collection path of the IRIs, e.g. `/books`; `/` + the plural kebab-case class name by default. */
  path?: string;
  /**
   * Publish the entity's committed changes to Mercure: `true` with defaults, options, or a
   * function deciding per entity (`false` skips that entity's update).
   */
  mercure?: boolean | MercureResourceOptions<T> | ((entity: T) => boolean | MercureResourceOptions<T>);
  /**
   * To-one relations (owning side: `ManyToOne`, or `OneToOne` holding the key) to resources whose
   * representation lists this one, e.g. `['book']` on a Review when a Book shows its `reviews`.
   * A create or delete of this entity, or a change of one of these relations (both the old and the
   * new parent), also publishes an update of each parent, once per commit, with the parent's
   * JSON-LD as `GET` returns it after the commit, per the parent's own `mercure` options.
   * Checked against MikroORM's metadata at start-up.
   */
  parents?: RelationName<T>[];
}
