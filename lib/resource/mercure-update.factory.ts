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

  /** The update of this change, or undefined when the entity publishes nothing for it. */
  async create(entity: object, kind: EntityChangeKind, em: EntityManager): Promise<ResourceUpdate | undefined> {
    const resource = this.resources.getByEntity(entity);
    const options = resource && this.mercureOptions(resource, entity);
    if (!resource || !options || (options.operations && !options.operations.includes(kind))) {
      return undefined;
    }
    const iri = this.iris.getIriOfResource(entity, resource);
    const context: MercureBuildContext = { kind, iri, em, load: (relation) => this.loadRelation(em, relation) };
    const topics = await this.topics(options, entity, iri, context);
    // Deletes and `data` results are encoded now; the JSON-LD document is a detached snapshot,
    // encoded when the update is handed to the hub.
    let payload: string | JsonLdDocument;
    const jsonLd = () => this.serializer.serializeResource(entity, resource, iri, options.groups, loadCollectionsWith(em));
    if (kind === 'delete') {
      payload = JSON.stringify({ '@id': iri, '@type': resource.shortName });
    } else if (options.data) {
      payload = encodePayload(await options.data(entity, { ...context, kind, topics, jsonLd }));
    } else {
      payload = await jsonLd();
    }
    return new ResourceUpdate(options.hub, iri, kind, topics, payload, {
      private: options.private,
      id: typeof options.id === 'function' ? await options.id(entity, context) : options.id,
      type: options.type,
      retry: options.retry,
    });
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

  private async topics(options: MercureResourceOptions, entity: object, iri: string, context: MercureBuildContext): Promise<string[]> {
    const given = typeof options.topics === 'function' ? await options.topics(entity, context) : options.topics;
    if (given === undefined) {
      return [this.iris.toAbsolute(iri)];
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

/** A `data` function's result: strings as they are, anything else JSON-encoded. */
function encodePayload(payload: unknown): string {
  return typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? '');
}

