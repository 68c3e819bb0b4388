/** What a change did to an entity; deletes publish `{"@id", "@type"}` only. */
export type EntityChangeKind = 'create' | 'update' | 'delete';

/** Handed to a `data` function next to the entity. */
export interface MercureDataContext {
  readonly kind: Exclude<EntityChangeKind, 'delete'>;
  /** Relative IRI of the entity, e.g. `/books/1`. */
  readonly iri: string;
  /** Topics the update goes to. */
  readonly topics: readonly string[];
  /** The JSON-LD document `GET iri` returns (serialized on first call, with the resource's groups). */
  jsonLd(): Record<string, unknown>;
}

export interface MercureResourceOptions<T = any> {
  /**
   * Replaces the default topic (the entity's absolute IRI). Topics starting with `/` are made
   * absolute with the module's `baseUrl`; others are used as is. The first one is canonical.
   */
  topics?: string | string[] | ((entity: T) => string | string[]);
  /** Private updates only reach subscribers authorized for one of their topics. */
  private?: boolean;
  /** The update id (the hub generates one when absent). */
  id?: string | ((entity: T) => string);
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
}

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
}
