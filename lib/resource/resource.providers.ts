import type { Provider } from '@nestjs/common';
import { MercureFlushListener } from '../orm/mercure-flush.listener';
import { MercureOutbox } from '../outbox/mercure-outbox';
import { MercureResourcePublisher } from '../publisher/resource-publisher';
import { IriConverter } from './iri-converter';
import { JsonLdSerializer } from './jsonld.serializer';
import { MercureUpdateFactory } from './mercure-update.factory';
import { ResourceMetadataRegistry } from './resource-metadata.registry';

/**
 * The resource side of `MercureModule`: metadata, IRIs, JSON-LD, and the MikroORM listener that
 * publishes entity changes. They need `MikroORM` (from `@mikro-orm/nestjs`), `HubRegistry` and the
 * options under `MERCURE_RESOLVED_OPTIONS` (`baseUrl`, `delivery.waitForDelivery`). The listener
 * validates every `@ApiResource` against the configured hubs and registers itself with MikroORM
 * in `onModuleInit`.
 */
export const mercureResourceProviders: Provider[] = [
  ResourceMetadataRegistry,
  IriConverter,
  JsonLdSerializer,
  MercureUpdateFactory,
  MercureOutbox,
  MercureFlushListener,
  MercureResourcePublisher,
];
