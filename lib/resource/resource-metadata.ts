import type { EntityMetadata } from '@mikro-orm/core';
import type { ApiResourceOptions } from './api-resource.options';

/** One `@ApiResource` entity class, with its defaults filled in. */
export interface ResourceMetadata<T = any> {
  /** The decorated class; undecorated subclasses (e.g. STI children) resolve to it. */
  readonly entityClass: Function;
  readonly className: string;
  /** The JSON-LD `@type`. */
  readonly shortName: string;
  /** The collection path, e.g. `/books`; item IRIs are `itemPrefix + id`. */
  readonly path: string;
  /** @internal `path + "/"`: item IRIs are this and the id, made in one concatenation. */
  readonly itemPrefix: string;
  /** MikroORM's metadata of the decorated class. */
  readonly entityMeta: EntityMetadata<T>;
  /** The options as given to the decorator (validated). */
  readonly options: Readonly<ApiResourceOptions<T>>;
}
