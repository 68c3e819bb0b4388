// Module and options
export { MercureModule } from './mercure.module';
export type {
  MercureModuleOptions,
  MercureModuleAsyncOptions,
  MercureOptionsFactory,
  MercureHubOptions,
  MercureJwtOptions,
  MercureJwtSecretOptions,
  MercureJwtTokenOptions,
  MercureTokenFactory,
  MercureDeliveryOptions,
  MercureOutboxOptions,
} from './mercure.options';
export { MercureConfigurationError } from './mercure-options.resolver';
export { MERCURE_MODULE_OPTIONS, MERCURE_LOCAL_HUB, DEFAULT_HUB_NAME, DEFAULT_HUB_PATH } from './mercure.constants';

// Resources
export { ApiResource } from './resource/api-resource.decorator';
export type {
  ApiResourceOptions,
  MercureResourceOptions,
  MercureBuildContext,
  MercureDataContext,
  EntityChangeKind,
  MaybePromise,
  RelationName,
} from './resource/api-resource.options';
export { ApiResourceConfigError } from './resource/resource-options.validator';
export { IriConverter } from './resource/iri-converter';
export { JsonLdSerializer } from './resource/jsonld.serializer';
export type { JsonLdDocument, JsonLdSerializeOptions } from './resource/jsonld.serializer';
export { JSON_LD_CONTENT_TYPE, jsonLdCollection, JsonLdResponseInterceptor } from './resource/jsonld-response';
export type { JsonLdCollection } from './resource/jsonld-response';
export { ResourceMetadataRegistry } from './resource/resource-metadata.registry';

// Publishing
export { Update } from './publisher/update';
export type { UpdateOptions } from './publisher/update';
export { HubPublisher } from './publisher/hub-publisher';
export { HubRegistry } from './publisher/hub-registry';
export { MercureResourcePublisher } from './publisher/resource-publisher';
export type { ResourcePublishOptions, BuiltResourceUpdate } from './publisher/resource-publisher';
export { HubDeliveryError } from './publisher/publish-transport';
export type { PublishTransport } from './publisher/publish-transport';

// Transactional outbox (delivery.mode: 'outbox')
export { MercureOutbox } from './outbox/mercure-outbox';
export type { MercureOutboxStats } from './outbox/mercure-outbox';
export { MercureOutboxEntry, MercureOutboxSchema } from './outbox/mercure-outbox.entity';
export type { FailedOutboxRow, OutboxRow } from './outbox/outbox-store';

// Discovery
export { MercureDiscovery } from './discovery/mercure-discovery.decorator';
export { mercureLink } from './discovery/link-header';

// Embedded hub
export { MercureHubModule } from './hub/mercure-hub.module';
export { MercureHubConfigError } from './hub/mercure-hub.options';
export type {
  MercureHubModuleOptions,
  MercureHubModuleAsyncOptions,
  MercureHubOptionsFactory,
  MercureHubJwtOptions,
  MercureHubRedisTransportOptions,
  HubJwtAlgorithm,
} from './hub/mercure-hub.options';
export { MercureHub } from './hub/mercure-hub';
export { EARLIEST } from './hub/hub-transport';
export type { HubTransport, HubTransportListener, HubHistory, SubscriptionInfo } from './hub/hub-transport';
export type { HubUpdate } from './hub/hub-update';
export { MemoryHubTransport } from './hub/memory-transport';
export { RedisHubTransport } from './hub/redis-transport';

// Running on every core (node:cluster; the embedded hub on the Redis transport)
export { runClustered } from './cluster/run-clustered';
export type { RunClusteredOptions } from './cluster/run-clustered';

// Subscriber authorization (tokens and cookie)
export { MercureAuthorizationModule } from './authorization/mercure-authorization.module';
export { MercureAuthorization } from './authorization/mercure-authorization';
export { MercureAuthorizationConfigError } from './authorization/mercure-authorization.options';
export type {
  MercureAuthorizationModuleOptions,
  MercureAuthorizationModuleAsyncOptions,
  MercureAuthorizationHubOptions,
  SubscriberGrant,
  SubscriberProtocolVersion,
  SubscriberCookieSameSite,
} from './authorization/mercure-authorization.options';
export type { SubscriberCookie, CookieResponse } from './authorization/set-cookie';
/** A Mercure 1.0 topic selector in tokens: an exact topic (or `*`), or `{ match, match_type }`. */
export type { TopicMatch } from './jwt/access-token';
