import { Injectable } from '@nestjs/common';
import { MikroORM, Reference, ReferenceKind, ScalarReference } from '@mikro-orm/core';
import type { EntityManager, EntityMetadata, EntityProperty, Platform } from '@mikro-orm/core';
import { serializedPrimaryKeyName } from '../orm/mikro-orm-compat';
import { byPrimaryKey, initializeCollections, loadCollectionsWith, type CollectionLoader } from './collection-loader';
import { IriConverter } from './iri-converter';
import { isoString } from './iso-date';
import { ValueKind, type ClassPlan, type PropertyPlan } from './property-plan';
import { compilePropertyWriter } from './property-writer';
import { ResourceMetadataRegistry } from './resource-metadata.registry';
import type { ResourceMetadata } from './resource-metadata';

/** A JSON-LD item: `@id` (relative IRI) and `@type` (short name) first, then the properties. */
export interface JsonLdDocument {
  '@id': string;
  '@type': string;
  [property: string]: unknown;
}

export interface JsonLdSerializeOptions {
  /** MikroORM serialization groups: a property with `groups` is kept only when one of them is asked for. */
  groups?: readonly string[];
  /**
   * Loads collections that are not initialized through this EntityManager (a fresh copy of the
   * entity is loaded; the entity is left as it is). By default they are initialized on the entity.
   */
  em?: EntityManager;
}

type Collected = { isInitialized(): boolean; count(): number; getItems(check?: boolean): object[] };

/**
 * Turns an `@ApiResource` entity into its JSON-LD document. Controllers return it and the Mercure
 * listener publishes it, so `GET @id` and the update carry the same JSON.
 *
 * Properties follow MikroORM's `serialize()` rules: hidden properties never appear, `_`-prefixed
 * ones neither, `groups`, `serializedName`, custom `serializer`s and custom types' `toJSON` apply,
 * unloaded lazy properties are left out. A stored property never set (a new entity's optional
 * field) is `null`, as a fresh load gives it, so the update sent after a create matches `GET`.
 * Relations are not embedded: a related `@ApiResource` entity becomes its IRI, any other entity its
 * primary key. A to-many relation (1:N or M:N) is always there, as an array of those, in ascending
 * primary key order (`[]` when empty): a collection not initialized is loaded first, which is why
 * serializing is async. Dates become ISO strings,
 * embeddables objects. Primary keys come first, then the declaration order. The document shares
 * nothing mutable with the entity (object values are copied), so it can be encoded later.
 */
@Injectable()
export class JsonLdSerializer {
  private platform?: Platform;
  /**
   * Plans with groups, per class: by the very groups array (a resource's `groups` option is the same
   * array every time), else by the set of properties the groups let through, so that groups a
   * caller makes up compile at most one writer per distinct set, never one per request.
   */
  private readonly plans = new WeakMap<EntityMetadata, { byArray: WeakMap<readonly string[], ClassPlan>; byVisible: Map<string, ClassPlan> }>();
  /** The plans without groups (the common case), looked up without building a key. */
  private readonly ungroupedPlans = new WeakMap<EntityMetadata, ClassPlan>();

  constructor(
    private readonly orm: MikroORM,
    private readonly resources: ResourceMetadataRegistry,
    private readonly iris: IriConverter,
  ) {}

  /** The JSON-LD document of an `@ApiResource` entity, as `GET` of its IRI answers. */
  serialize(entity: object, options: JsonLdSerializeOptions = {}): Promise<JsonLdDocument> {
    const resource = this.resources.getByEntity(entity);
    if (!resource) {
      throw new Error(`${entity.constructor.name} is not an @ApiResource() entity`);
    }
    const loader = options.em ? loadCollectionsWith(options.em) : initializeCollections;
    return this.serializeResource(entity, resource, this.iris.getIri(entity), options.groups, loader);
  }

  /** @internal For callers that already resolved the resource and the IRI (the update factory). */
  async serializeResource(
    entity: object,
    resource: ResourceMetadata,
    iri: string,
    groups: readonly string[] | undefined,
    loader: CollectionLoader,
  ): Promise<JsonLdDocument> {
    const meta = this.metaOf(entity, resource);
    const plan = this.planOf(meta, groups);
    const unloaded = plan.toMany.filter((p) => isUninitialized((entity as Record<string, unknown>)[p.name]));
    const loaded = unloaded.length > 0 ? await loader(entity, meta, unloaded.map((p) => p.name)) : undefined;
    return plan.document(iri, resource.shortName, entity as Record<string, unknown>, groups, loaded);
  }

  /**
   * @internal `serializeResource` without waiting, for the update factory's common case: the
   * document, or undefined when a to-many collection must be loaded first (then call that). The
   * document is a snapshot to encode, not to change: its empty collections share one frozen array.
   */
  serializeLoadedResource(entity: object, resource: ResourceMetadata, iri: string, groups: readonly string[] | undefined): JsonLdDocument | undefined {
    const plan = this.planOf(this.metaOf(entity, resource), groups);
    for (const toMany of plan.toMany) {
      if (isUninitialized((entity as Record<string, unknown>)[toMany.name])) {
        return undefined;
      }
    }
    return plan.document(iri, resource.shortName, entity as Record<string, unknown>, groups, undefined, EMPTY_LIST);
  }

  /** The entity's own class metadata: an STI child has more properties than its resource class. */
  private metaOf(entity: object, resource: ResourceMetadata): EntityMetadata {
    return this.resources.getEntityMeta(entity.constructor) ?? resource.entityMeta;
  }

  /** A property's JSON value (undefined: left out) by the general rules; the compiled writers inline the plain cases. */
  private readonly valueOf = (plan: PropertyPlan, raw: unknown, groups: readonly string[] | undefined): unknown =>
    plan.serializer ? detached(plan.serializer(raw)) : this.convert(plan, raw, groups);

  private convert(plan: PropertyPlan, raw: unknown, groups: readonly string[] | undefined): unknown {
    switch (plan.kind) {
      case ValueKind.ToOne:
        return raw === null ? null : this.relatedValue(Reference.unwrapReference(raw as object));
      case ValueKind.ToMany: {
        if (Array.isArray(raw)) {
          return raw.length === 0 ? [] : [...raw].sort(byPrimaryKey(plan.prop.targetMeta)).map((item) => this.relatedValue(item));
        }
        const collection = raw as Collected;
        if (!collection.isInitialized()) {
          return undefined;
        }
        // An empty collection (the common case on the flush path) needs no copy of its items.
        return collection.count() === 0
          ? []
          : [...collection.getItems(false)].sort(byPrimaryKey(plan.prop.targetMeta)).map((item) => this.relatedValue(item));
      }
    }
    const value = plan.scalarReference && raw instanceof ScalarReference ? raw.unwrap() : raw;
    if (value === null) {
      return null;
    }
    if (plan.kind === ValueKind.Embedded) {
      return Array.isArray(value) ? value.map((item) => this.embeddable(item, plan.prop, groups)) : this.embeddable(value, plan.prop, groups);
    }
    const json = plan.customType ? plan.customType.toJSON(value, this.getPlatform()) : value;
    if (plan.kind === ValueKind.Primary) {
      return this.getPlatform().normalizePrimaryKey(json as never);
    }
    if (typeof json !== 'object') {
      return typeof json === 'bigint' ? json.toString() : json;
    }
    return json instanceof Date ? isoString(json) : detached(json);
  }

  private relatedValue(related: object): unknown {
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
        ? this.relatedValue(Reference.unwrapReference(value))
        : this.getPlatform().normalizePrimaryKey(value as never);
    };
    return keys.length === 1 ? keyValue(keys[0]) : Object.fromEntries(keys.map((name) => [name, keyValue(name)]));
  }

  private embeddable(value: unknown, prop: EntityProperty, groups: readonly string[] | undefined): unknown {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    // Polymorphic embeddables: the instance's class decides which properties it has.
    const meta = this.resources.getEntityMeta(value.constructor) ?? prop.targetMeta;
    if (!meta) {
      return value;
    }
    const result: Record<string, unknown> = {};
    this.planOf(meta, groups).write(value as Record<string, unknown>, result, groups, undefined);
    return result;
  }

  private planOf(meta: EntityMetadata, groups: readonly string[] | undefined): ClassPlan {
    if (!groups) {
      let plan = this.ungroupedPlans.get(meta);
      if (!plan) {
        plan = this.buildPlan(meta, undefined);
        this.ungroupedPlans.set(meta, plan);
      }
      return plan;
    }
    let cache = this.plans.get(meta);
    if (!cache) {
      cache = { byArray: new WeakMap(), byVisible: new Map() };
      this.plans.set(meta, cache);
    }
    let plan = cache.byArray.get(groups);
    if (plan) return plan;
    // `undefined` (no filtering, above) and `[]` (only ungrouped properties) differ, as in MikroORM.
    const visible = Object.values(meta.properties as Record<string, EntityProperty>)
      .filter((prop) => prop.groups && isVisible(prop, groups))
      .map((prop) => prop.name)
      .join('\u0000');
    plan = cache.byVisible.get(visible);
    if (!plan) {
      plan = this.buildPlan(meta, groups);
      cache.byVisible.set(visible, plan);
    }
    cache.byArray.set(groups, plan);
    return plan;
  }

  private buildPlan(meta: EntityMetadata, groups: readonly string[] | undefined): ClassPlan {
    const properties = this.buildPropertyPlans(meta, groups);
    const { write, document } = compilePropertyWriter(properties, this.valueOf);
    return { toMany: properties.filter((plan) => plan.kind === ValueKind.ToMany), write, document };
  }

  private buildPropertyPlans(meta: EntityMetadata, groups: readonly string[] | undefined): PropertyPlan[] {
    const platform = this.getPlatform();
    // Flattened columns of inline embeddables (`prop.embedded`) belong to their embeddable.
    const props = Object.values(meta.properties as Record<string, EntityProperty>).filter((prop) => !prop.embedded);
    return [...props.filter((prop) => prop.primary), ...props.filter((prop) => !prop.primary)]
      .filter((prop) => isVisible(prop, groups))
      .map((prop): PropertyPlan => {
        const kind = valueKindOf(prop);
        return {
          name: prop.name,
          key: prop.serializedName ?? (prop.primary ? serializedPrimaryKeyName(platform, prop.name) : prop.name),
          kind,
          nullWhenUnset:
            kind !== ValueKind.ToMany && !prop.lazy && !prop.formula && prop.persist !== false && !prop.getter && !prop.getterName,
          getterName: prop.getterName as string | undefined,
          serializer: prop.serializer,
          customType: prop.customType,
          scalarReference: !!prop.ref,
          prop,
        };
      });
  }

  private getPlatform(): Platform {
    return (this.platform ??= this.orm.em.getPlatform());
  }
}

/** Every empty collection of the flush's snapshots (see `serializeLoadedResource`). */
const EMPTY_LIST: readonly never[] = Object.freeze(Array.of<never>());

function valueKindOf(prop: EntityProperty): ValueKind {
  switch (prop.kind) {
    case ReferenceKind.MANY_TO_ONE:
    case ReferenceKind.ONE_TO_ONE:
      return ValueKind.ToOne;
    case ReferenceKind.ONE_TO_MANY:
    case ReferenceKind.MANY_TO_MANY:
      return ValueKind.ToMany;
    case ReferenceKind.EMBEDDED:
      return ValueKind.Embedded;
    default:
      return prop.primary ? ValueKind.Primary : ValueKind.Scalar;
  }
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

/**
 * A copy of an object value (a JSON property, an array, what a custom serializer returned) that
 * JSON-encodes the same, so the document never changes when the entity does afterwards.
 */
function detached(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const json = JSON.stringify(value);
  return json === undefined ? undefined : JSON.parse(json);
}

function isUninitialized(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as Collected).isInitialized === 'function' && !(value as Collected).isInitialized();
}
