import { Injectable } from '@nestjs/common';
import type { EntityChangeKind, MercureResourceOptions } from './api-resource.options';
import { IriConverter } from './iri-converter';
import { JsonLdSerializer, type JsonLdDocument } from './jsonld.serializer';
import { ResourceMetadataRegistry } from './resource-metadata.registry';
import type { ResourceMetadata } from './resource-metadata';
import { validateMercureOptions } from './resource-options.validator';
import { ResourceUpdate } from './resource-update';

/**
 * Builds the Mercure update of an entity change according to its resource's `mercure` options:
 * topic = the absolute IRI unless `topics` replaces it; data = the JSON-LD document (or `data`);
 * a delete's data is exactly `{"@id": "<relative IRI>", "@type": "<shortName>"}`.
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

  /** The update of this change, or undefined when the entity publishes nothing. */
  create(entity: object, kind: EntityChangeKind): ResourceUpdate | undefined {
    const resource = this.resources.getByEntity(entity);
    const options = resource && this.mercureOptions(resource, entity);
    if (!resource || !options) {
      return undefined;
    }
    const iri = this.iris.getIriOfResource(entity, resource);
    const topics = this.topics(options, entity, iri);
    // Deletes and `data` results are encoded now; the JSON-LD document is a detached snapshot,
    // encoded when the update is handed to the hub (after the flush).
    let payload: string | JsonLdDocument;
    if (kind === 'delete') {
      payload = JSON.stringify({ '@id': iri, '@type': resource.shortName });
    } else if (options.data) {
      const jsonLd = () => this.serializer.serializeResource(entity, resource, iri, options.groups);
      payload = encodePayload(options.data(entity, { kind, iri, topics, jsonLd }));
    } else {
      payload = this.serializer.serializeResource(entity, resource, iri, options.groups);
    }
    return new ResourceUpdate(options.hub, iri, kind, topics, payload, {
      private: options.private,
      id: typeof options.id === 'function' ? options.id(entity) : options.id,
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

  private topics(options: MercureResourceOptions, entity: object, iri: string): string[] {
    const given = typeof options.topics === 'function' ? options.topics(entity) : options.topics;
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
