import { Injectable } from '@nestjs/common';
import { MikroORM, Reference, ReferenceKind, ScalarReference } from '@mikro-orm/core';
import type { EntityMetadata, EntityProperty, Platform } from '@mikro-orm/core';
import { IriConverter } from './iri-converter';
import { ResourceMetadataRegistry } from './resource-metadata.registry';

/** A JSON-LD item: `@id` (relative IRI) and `@type` (short name) first, then the properties. */
export interface JsonLdDocument {
  '@id': string;
  '@type': string;
  [property: string]: unknown;
}

export interface JsonLdSerializeOptions {
  /** MikroORM serialization groups: a property with `groups` is kept only when one of them is asked for. */
  groups?: readonly string[];
}

const TO_ONE: readonly string[] = [ReferenceKind.MANY_TO_ONE, ReferenceKind.ONE_TO_ONE];
const TO_MANY: readonly string[] = [ReferenceKind.ONE_TO_MANY, ReferenceKind.MANY_TO_MANY];

/**
 * Turns an `@ApiResource` entity into its JSON-LD document. Controllers return it and the Mercure
 * listener publishes it, so `GET @id` and the update carry the same JSON.
 *
 * Properties follow MikroORM's `serialize()` rules: hidden properties never appear, `_`-prefixed
 * ones neither, `groups`, `serializedName`, custom `serializer`s and custom types' `toJSON` apply,
 * unloaded lazy properties and uninitialized collections are left out. A stored property never
 * set (a new entity's optional field) is `null`, as a fresh load gives it, so the update sent after
 * a create matches `GET`. Relations are not embedded:
 * a related `@ApiResource` entity becomes its IRI (a collection an array of IRIs), any other
 * entity its primary key. Dates become ISO strings, embeddables objects.
 */
@Injectable()
export class JsonLdSerializer {
  constructor(
    private readonly orm: MikroORM,
    private readonly resources: ResourceMetadataRegistry,
    private readonly iris: IriConverter,
  ) {}

  serialize(entity: object, options: JsonLdSerializeOptions = {}): JsonLdDocument {
    const resource = this.resources.getByEntity(entity);
    if (!resource) {
      throw new Error(`${entity.constructor.name} is not an @ApiResource() entity`);
    }
    const document: JsonLdDocument = { '@id': this.iris.getIri(entity), '@type': resource.shortName };
    // The entity's own class metadata: an STI child has more properties than its resource class.
    const meta = this.resources.getEntityMeta(entity.constructor) ?? resource.entityMeta;
    this.writeProperties(entity as Record<string, unknown>, meta, options.groups, document);
    return document;
  }

  private writeProperties(
    source: Record<string, unknown>,
    meta: EntityMetadata,
    groups: readonly string[] | undefined,
    target: Record<string, unknown>,
  ): void {
    const platform = this.orm.em.getPlatform();
    for (const prop of orderedProps(meta)) {
      if (!isVisible(prop, groups)) {
        continue;
      }
      let raw = prop.getterName ? callGetter(source, prop.getterName as string) : source[prop.name];
      if (raw === undefined) {
        if (!holdsNullWhenUnset(prop)) {
          continue; // not loaded (lazy), computed on load (formula), or not stored at all
        }
        // Never set on a new entity: the row holds NULL, and a fresh load says `null`.
        raw = null;
      }
      const value = prop.serializer ? prop.serializer(raw) : this.convert(prop, raw, platform, groups);
      if (value !== undefined) {
        target[prop.serializedName ?? (prop.primary ? platform.getSerializedPrimaryKeyField(prop.name) : prop.name)] = value;
      }
    }
  }

  private convert(prop: EntityProperty, raw: unknown, platform: Platform, groups: readonly string[] | undefined): unknown {
    if (TO_ONE.includes(prop.kind)) {
      return raw === null ? null : this.relatedValue(Reference.unwrapReference(raw as object), platform);
    }
    if (TO_MANY.includes(prop.kind)) {
      const collection = raw as { isInitialized(): boolean; getItems(check?: boolean): object[] };
      if (!collection.isInitialized()) {
        return undefined;
      }
      return collection.getItems(false).map((item) => this.relatedValue(item, platform));
    }
    const value = raw instanceof ScalarReference ? raw.unwrap() : raw;
    if (value === null) {
      return null;
    }
    if (prop.kind === ReferenceKind.EMBEDDED) {
      return Array.isArray(value)
        ? value.map((item) => this.embeddable(item, prop, platform, groups))
        : this.embeddable(value, prop, platform, groups);
    }
    const json = prop.customType ? prop.customType.toJSON(value, platform) : value;
    if (prop.primary) {
      return platform.normalizePrimaryKey(json as never);
    }
    return plainScalar(json);
  }

  private relatedValue(related: object, platform: Platform): unknown {
    if (this.resources.getByEntity(related)) {
      return this.iris.getIri(related);
    }
    const meta = this.resources.getEntityMeta(related.constructor);
    if (!meta) {
      return undefined;
    }
    const keys = meta.primaryKeys as string[];
    const keyValue = (name: string): unknown => {
      const value = (related as Record<string, unknown>)[name];
      return value !== null && typeof value === 'object' && !(value instanceof Date)
        ? this.relatedValue(Reference.unwrapReference(value), platform)
        : platform.normalizePrimaryKey(value as never);
    };
    return keys.length === 1 ? keyValue(keys[0]) : Object.fromEntries(keys.map((name) => [name, keyValue(name)]));
  }

  private embeddable(value: unknown, prop: EntityProperty, platform: Platform, groups: readonly string[] | undefined): unknown {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    // Polymorphic embeddables: the instance's class decides which properties it has.
    const meta = this.resources.getEntityMeta(value.constructor) ?? prop.targetMeta;
    if (!meta) {
      return plainScalar(value);
    }
    const result: Record<string, unknown> = {};
    this.writeProperties(value as Record<string, unknown>, meta, groups, result);
    return result;
  }
}

const orderCache = new WeakMap<EntityMetadata, EntityProperty[]>();

/** Primary keys first, then the declaration order; flattened embedded columns are skipped. */
function orderedProps(meta: EntityMetadata): EntityProperty[] {
  let props = orderCache.get(meta);
  if (!props) {
    const all = Object.values(meta.properties as Record<string, EntityProperty>).filter((prop) => !prop.embedded);
    props = [...all.filter((prop) => prop.primary), ...all.filter((prop) => !prop.primary)];
    orderCache.set(meta, props);
  }
  return props;
}

/** Whether an unset (`undefined`) value of this property is stored, hence loaded, as `null`. */
function holdsNullWhenUnset(prop: EntityProperty): boolean {
  return !TO_MANY.includes(prop.kind) && !prop.lazy && !prop.formula && prop.persist !== false && !prop.getter && !prop.getterName;
}

function isVisible(prop: EntityProperty, groups: readonly string[] | undefined): boolean {
  if (prop.hidden) {
    return false;
  }
  if (!prop.primary && !prop.accessor && prop.name.startsWith('_')) {
    return false;
  }
  if (groups && prop.groups) {
    return prop.groups.some((group) => groups.includes(group));
  }
  return true;
}

function callGetter(source: Record<string, unknown>, name: string): unknown {
  const getter = source[name];
  return typeof getter === 'function' ? getter.call(source) : undefined;
}

/** What JSON.stringify would produce for the values it cannot represent as they are. */
function plainScalar(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  return value;
}
