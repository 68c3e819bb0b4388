import { Inject, Injectable, Optional } from '@nestjs/common';
import { Reference, ReferenceKind } from '@mikro-orm/core';
import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { ResourceMetadataRegistry } from './resource-metadata.registry';
import type { ResourceMetadata } from './resource-metadata';

/** A parsed item IRI: pass `entityClass` and `id` to `em.findOne()`. */
export interface ResourceIdentifier<T = any> {
  readonly entityClass: Function;
  /** A number or string for a single primary key; `{ key: value }` for a composite one. */
  readonly id: string | number | Record<string, string | number>;
  readonly resource: ResourceMetadata<T>;
}

/** A primary key value as `getIriFromClass` accepts it. */
export type IdentifierValue = unknown | readonly unknown[] | Record<string, unknown>;

const ABSOLUTE_IRI = /^[a-z][a-z0-9+.-]*:/i;
const SLASH = 0x2f;

/**
 * Item IRIs: `path + "/" + id`, e.g. `/books/1`. A composite primary key is written as
 * `key=value` pairs joined by `;` in the order of the primary keys, e.g.
 * `/order-lines/order=1;product=42` (the matrix style API Platform uses); values are
 * percent-encoded, so `;`, `=` and `/` inside values stay unambiguous.
 */
@Injectable()
export class IriConverter {
  private readonly baseUrl?: string;

  constructor(
    private readonly resources: ResourceMetadataRegistry,
    /** The module's options; only `baseUrl` (the base of absolute IRIs) is read. */
    @Optional() @Inject(MERCURE_RESOLVED_OPTIONS) options?: { baseUrl?: string },
  ) {
    this.baseUrl = options?.baseUrl?.replace(/\/+$/, '') || undefined;
  }

  /** Relative IRI of a managed entity, e.g. `/books/1`; throws for non-resources and unsaved entities. */
  getIri(entity: object): string {
    return this.getIriOfResource(entity, this.resourceOf(entity.constructor));
  }

  /** @internal `getIri` for callers that already resolved the entity's resource. */
  getIriOfResource(entity: object, resource: ResourceMetadata): string {
    const meta = resource.entityMeta;
    if (meta.primaryKeys.length === 1) {
      // The common case, kept cheap: it runs for every published entity and every related one.
      const name = meta.primaryKeys[0] as string;
      const value = (entity as Record<string, unknown>)[name];
      if (typeof value === 'number' || (typeof value === 'string' && value !== '')) {
        // An integer's digits need no escaping. One concatenation: no `path + "/"` made per entity.
        return resource.itemPrefix + (Number.isSafeInteger(value) ? value : encodeURIComponent(value));
      }
    }
    return this.formatIriOf(entity, resource);
  }

  /**
   * The general case of `getIriOfResource`, apart: a closure over `entity` there made every call
   * allocate a context for it, the common case included (83 bytes per IRI instead of 45).
   */
  private formatIriOf(entity: object, resource: ResourceMetadata): string {
    return resource.itemPrefix + this.formatId(resource, (name) => (entity as Record<string, unknown>)[name]);
  }

  /** Relative IRI from a class and a primary key (a value; or an array/object for composite keys). */
  getIriFromClass(entityClass: Function, id: IdentifierValue): string {
    const resource = this.resourceOf(entityClass);
    const keys = resource.entityMeta.primaryKeys as string[];
    const valueOf = (name: string): unknown => {
      if (keys.length === 1 && !isKeyObject(id, keys)) {
        return Array.isArray(id) ? id[0] : id;
      }
      if (Array.isArray(id)) {
        return id[keys.indexOf(name)];
      }
      return (id as Record<string, unknown> | null | undefined)?.[name];
    };
    return resource.itemPrefix + this.formatId(resource, valueOf);
  }

  /** Prefixes a relative IRI with the module's `baseUrl`; absolute IRIs (and no `baseUrl`) pass through. */
  toAbsolute(iri: string): string {
    if (this.baseUrl && iri.charCodeAt(0) === SLASH) {
      return this.baseUrl + iri; // the common case (every published entity), without the pattern
    }
    if (!this.baseUrl || ABSOLUTE_IRI.test(iri)) {
      return iri;
    }
    return this.baseUrl + (iri.startsWith('/') ? iri : `/${iri}`);
  }

  /**
   * Parses an item IRI, relative (`/books/1`) or absolute under `baseUrl`; undefined when it names
   * no resource, has a query or fragment, or its id does not fit the primary key (e.g. `/books/abc`
   * for a numeric key). It does not check that the row exists.
   */
  getResourceFromIri(iri: string): ResourceIdentifier | undefined {
    const path = this.toRelativePath(iri);
    if (!path || /[?#]/.test(path)) {
      return undefined;
    }
    const slash = path.lastIndexOf('/');
    const resource = this.resources.getByPath(path.slice(0, slash));
    const rawId = path.slice(slash + 1);
    if (!resource || !rawId) {
      return undefined;
    }
    const id = this.parseId(resource, rawId);
    return id === undefined ? undefined : { entityClass: resource.entityClass, id, resource };
  }

  private resourceOf(entityClass: Function): ResourceMetadata {
    const resource = this.resources.getByClass(entityClass);
    if (!resource) {
      throw new Error(`${entityClass.name} is not an @ApiResource() entity, so it has no IRI`);
    }
    return resource;
  }

  private formatId(resource: ResourceMetadata, valueOf: (name: string) => unknown): string {
    const meta = resource.entityMeta;
    const parts = (meta.primaryKeys as string[]).map((name) => {
      const value = primaryValue(meta.properties[name as keyof typeof meta.properties], valueOf(name));
      if (value === undefined) {
        throw new Error(`${resource.className} has no value for its primary key "${name}" yet, so it has no IRI`);
      }
      return [name, encodeURIComponent(value)] as const;
    });
    return parts.length === 1 ? parts[0][1] : parts.map(([name, value]) => `${name}=${value}`).join(';');
  }

  private parseId(resource: ResourceMetadata, rawId: string): ResourceIdentifier['id'] | undefined {
    const meta = resource.entityMeta;
    const keys = meta.primaryKeys as string[];
    try {
      if (keys.length === 1) {
        return parseValue(meta.properties[keys[0] as keyof typeof meta.properties], decodeURIComponent(rawId));
      }
      const id: Record<string, string | number> = {};
      for (const pair of rawId.split(';')) {
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq);
        if (eq < 0 || !keys.includes(name) || name in id) {
          return undefined;
        }
        const value = parseValue(meta.properties[name as keyof typeof meta.properties], decodeURIComponent(pair.slice(eq + 1)));
        if (value === undefined) {
          return undefined;
        }
        id[name] = value;
      }
      return keys.every((name) => name in id) ? id : undefined;
    } catch {
      return undefined; // malformed percent-encoding
    }
  }

  private toRelativePath(iri: string): string | undefined {
    if (iri.startsWith('/')) {
      return iri;
    }
    if (!ABSOLUTE_IRI.test(iri)) {
      return undefined;
    }
    if (!this.baseUrl) {
      // Without a base there is nothing to compare the origin with; the path still names the resource.
      try {
        const url = new URL(iri);
        return url.search || url.hash ? undefined : url.pathname;
      } catch {
        return undefined;
      }
    }
    const base = this.baseUrl;
    if (iri.length > base.length && iri.slice(0, base.length).toLowerCase() === base.toLowerCase() && iri[base.length] === '/') {
      return iri.slice(base.length);
    }
    return undefined;
  }
}

function isKeyObject(id: unknown, keys: readonly string[]): boolean {
  return id !== null && typeof id === 'object' && !Array.isArray(id) && !(id instanceof Date) && keys[0] in id;
}

/** The string form of one primary key value; a to-one primary key contributes its target's id. */
function primaryValue(prop: EntityProperty | undefined, value: unknown): string | undefined {
  const unwrapped = value !== null && typeof value === 'object' ? Reference.unwrapReference(value as object) : value;
  if (unwrapped === null || unwrapped === undefined) {
    return undefined;
  }
  if (prop?.targetMeta && typeof unwrapped === 'object' && !(unwrapped instanceof Date)) {
    return singleKeyValue(prop.targetMeta, unwrapped as Record<string, unknown>);
  }
  if (unwrapped instanceof Date) {
    return unwrapped.toISOString();
  }
  return String(unwrapped);
}

function singleKeyValue(meta: EntityMetadata, entity: Record<string, unknown>): string | undefined {
  const values = (meta.primaryKeys as string[]).map((name) =>
    primaryValue(meta.properties[name as keyof typeof meta.properties], entity[name]),
  );
  return values.some((value) => value === undefined) ? undefined : values.join(',');
}

/** Converts an id read from an IRI to the key's runtime type; undefined when it cannot be one. */
function parseValue(prop: EntityProperty | undefined, raw: string): string | number | undefined {
  if (raw === '') {
    return undefined;
  }
  let target = prop;
  while (target && target.kind !== ReferenceKind.SCALAR && target.targetMeta?.primaryKeys.length === 1) {
    target = target.targetMeta.properties[target.targetMeta.primaryKeys[0] as never];
  }
  if (target?.runtimeType === 'number') {
    if (!/^-?\d+(\.\d+)?$/.test(raw)) return undefined;
    const value = Number(raw);
    // `/books/999...9` must not become Infinity (or a rounded id) in a query.
    return raw.includes('.') ? (Number.isFinite(value) ? value : undefined) : Number.isSafeInteger(value) ? value : undefined;
  }
  return raw;
}
