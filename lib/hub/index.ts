export { MercureHubModule, MERCURE_HUB_MODULE_OPTIONS } from './mercure-hub.module';
export { MercureHub, MAX_SELECTORS_PER_SUBSCRIPTION, MAX_SELECTOR_LENGTH } from './mercure-hub';
export type { MercureHubCoreOptions, MercureHubLogger } from './mercure-hub';
export { MercureHubConfigError } from './mercure-hub.options';
export type {
  MercureHubModuleOptions,
  MercureHubModuleAsyncOptions,
  MercureHubOptionsFactory,
  MercureHubJwtOptions,
  MercureHubRedisTransportOptions,
  HubJwtAlgorithm,
} from './mercure-hub.options';
export { EARLIEST } from './hub-transport';
export type { HubTransport, HubTransportListener, HubHistory, SubscriptionInfo } from './hub-transport';
export { InvalidUpdateError, MAX_TOPICS_PER_UPDATE } from './hub-update';
export type { HubUpdate, UpdateInput } from './hub-update';
export { MemoryHubTransport } from './memory-transport';
export { RedisHubTransport } from './redis-transport';
export type { RedisHubTransportOptions } from './redis-transport';
export { TopicSelectorStore } from './topic-selector';
export { UriTemplateMatcher } from './uri-template';
