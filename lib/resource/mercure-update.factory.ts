import { Injectable } from '@nestjs/common';
import { Reference, wrap } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/core';
import type { EntityChangeKind, MercureBuildContext, MercureResourceOptions } from './api-resource.options';
import { loadCollectionsWith } from './collection-loader';
import { IriConverter } from './iri-converter';
import { JsonLdSerializer, type JsonLdDocument } from './jsonld.serializer';
import { ResourceMetadataRegistry } from './resource-metadata.registry';
import type { ResourceMetadata } from './resource-metadata';
import { validateMercureOptions } from './resource-options.validator';
import { ResourceUpdate } from './resource-update';
import type { UpdateOptions } from '../publisher/update';

/**
 * Builds the Mercure update of an entity change according to its resource's `mercure` options:
 * topic = the absolute IRI unless `topics` replaces it; data = the JSON-LD document (or `data`);
 * a delete's data is exactly `{"@id": "<relative IRI>", "@type": "<shortName>"}`. Changes whose
 * kind is not among `operations` publish nothing.
 *
 * `em` is what `topics`, `id` and `data` functions get to load relations, and what collections not
 * initialized are loaded with: it must see the state the change wrote (bound to the transaction
 * while it is open).
 */
@Injectable()
export class MercureUpdateFactory {
  private readonly staticUpdateOptions = new WeakMap<MercureResourceOptions, UpdateOptions>();

  constructor(
    private readonly resources: ResourceMetadataRegistry,
    private readonly iris: IriConverter,
    private readonly serializer: JsonLdSerializer,
  ) {}

  /** Whether changes of this class may publish (a `mercure` function still decides per entity). */
  publishesClass(entityClass: Function): boolean {
    const resource = this.resources.getByClass(entityClass);
    return resource !== undefined && resource.options.mercure !== undefined && resource.options.mercure !== false;
  }

  /**
   * The update of this change, or undefined when the entity publishes nothing for it. Returned at
   * once (no promise) in the common case: static options and no collection left to load. `em`
   * gives the entity manager functions and loading use; it is not called in the common case
   * (the listener forks one only when asked).
   */
  create(entity: object, kind: EntityChangeKind, em: () => EntityManager): ResourceUpdate | undefined | Promise<ResourceUpdate | undefined> {
    const resource = this.resources.getByEntity(entity);
    const options = resource && this.mercureOptions(resource, entity);
    if (!resource || !options || (options.operations && !options.operations.includes(kind))) {
      return undefined;
    }
    const iri = this.iris.getIriOfResource(entity, resource);
    if (typeof options.topics === 'function' || options.data || typeof options.id === 'function') {
      return this.createWithFunctions(entity, kind, em(), resource, options, iri);
    }
    const topics = this.givenTopics(options.topics, entity, iri);
    let payload: string | JsonLdDocument | undefined;
    if (kind === 'delete') {
      payload = deletePayload(iri, resource);
    } else {
      // A detached snapshot, encoded when the update is handed to the hub.
      payload = this.serializer.serializeLoadedResource(entity, resource, iri, options.groups);
      if (payload === undefined) {
        return this.serializer
          .serializeResource(entity, resource, iri, options.groups, loadCollectionsWith(em()))
          .then((document) => this.update(resource, options, iri, kind, topics, document, options.id as string | undefined));
      }
    }
    return this.update(resource, options, iri, kind, topics, payload, options.id as string | undefined);
  }

  /** `create` for options with `topics`, `id` or `data` functions (which may load relations through `em`). */
  private async createWithFunctions(
    entity: object,
    kind: EntityChangeKind,
    em: EntityManager,
    resource: ResourceMetadata,
    options: MercureResourceOptions,
    iri: string,
  ): Promise<ResourceUpdate> {
    const context: MercureBuildContext = { kind, iri, em, load: (relation) => this.loadRelation(em, relation) };
    const given = typeof options.topics === 'function' ? await options.topics(entity, context) : options.topics;
    // An array, frozen now: the `data` function gets them.
    const found = this.givenTopics(given, entity, iri);
    const topics: readonly string[] = Object.freeze(typeof found === 'string' ? [found] : found);
    // Deletes and `data` results are encoded now; the JSON-LD document is a detached snapshot,
    // encoded when the update is handed to the hub.
    let payload: string | JsonLdDocument;
    const jsonLd = () => this.serializer.serializeResource(entity, resource, iri, options.groups, loadCollectionsWith(em));
    if (kind === 'delete') {
      payload = deletePayload(iri, resource);
    } else if (options.data) {
      payload = encodePayload(await options.data(entity, { ...context, kind, topics, jsonLd }));
    } else {
      payload = await jsonLd();
    }
    return this.update(resource, options, iri, kind, topics, payload, typeof options.id === 'function' ? await options.id(entity, context) : options.id);
  }

  private update(
    resource: ResourceMetadata,
    options: MercureResourceOptions,
    iri: string,
    kind: EntityChangeKind,
    topics: string | readonly string[],
    payload: string | JsonLdDocument,
    id: string | undefined,
  ): ResourceUpdate {
    let updateOptions: UpdateOptions | undefined;
    if (id === options.id && (options === DEFAULT_OPTIONS || options === resource.options.mercure)) {
      // Static options: one object for every update of the resource.
      updateOptions = this.staticUpdateOptions.get(options);
      if (!updateOptions) {
        updateOptions = Object.freeze({ private: options.private, id, type: options.type, retry: options.retry });
        this.staticUpdateOptions.set(options, updateOptions);
      }
    }
    return new ResourceUpdate(options.hub, iri, kind, topics, payload, updateOptions ?? { private: options.private, id, type: options.type, retry: options.retry });
  }

  private mercureOptions(resource: ResourceMetadata, entity: object): MercureResourceOptions | undefined {
    const setting = resource.options.mercure;
    if (typeof setting === 'function') {
      const decided = setting(entity);
      if (decided === false) {
        return undefined;
      }
      const options = decided === true ? DEFAULT_OPTIONS : decided;
      validateMercureOptions(resource.className, options);
      return options;
    }
    return setting === true ? DEFAULT_OPTIONS : setting || undefined;
  }

  /** The entity behind a relation; an uninitialized one is loaded through `em` (never its own EntityManager). */
  private async loadRelation<R extends object>(em: EntityManager, relation: R | { unwrap(): R } | null | undefined): Promise<R | null> {
    if (relation === null || relation === undefined) {
      return null;
    }
    const entity = Reference.unwrapReference(relation as R) as R;
    if (wrap(entity).isInitialized()) {
      return entity;
    }
    const keys = (this.resources.getEntityMeta(entity.constructor)?.primaryKeys as string[] | undefined) ?? [];
    const where = Object.fromEntries(keys.map((key) => [key, (entity as Record<string, unknown>)[key]]));
    return (await em.findOne(entity.constructor as any, where as any)) as R | null;
  }

  /**
   * The absolute IRI alone, or the given topics, not frozen yet: `ResourceUpdate.toUpdate()`
   * makes the array and freezes it (in memory mode after the flush: both cost, per entity).
   */
  private givenTopics(given: string | string[] | undefined, entity: object, iri: string): string | string[] {
    if (given === undefined) {
      return this.iris.toAbsolute(iri);
    }
    const topics = (Array.isArray(given) ? given : [given]).map((topic) => (topic.startsWith('/') ? this.iris.toAbsolute(topic) : topic));
    if (topics.length === 0) {
      throw new Error(`The mercure "topics" of ${entity.constructor.name} gave no topic for ${iri}`);
    }
    return topics;
  }
}

/** `mercure: true`: every option at its default. */
const DEFAULT_OPTIONS: MercureResourceOptions = Object.freeze({});

/** A delete's data: exactly its `@id` and `@type`. */
function deletePayload(iri: string, resource: ResourceMetadata): string {
  return JSON.stringify({ '@id': iri, '@type': resource.shortName });
}

/** A `data` function's result: strings as they are, anything else JSON-encoded. */
function encodePayload(payload: unknown): string {
  return typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? '');
}

