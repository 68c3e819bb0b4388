import { BeforeApplicationShutdown, DynamicModule, Inject, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { MercureDiscoveryInterceptor } from './discovery/mercure-discovery.interceptor';
import { MercureDiscoveryMiddleware } from './discovery/mercure-discovery.middleware';
import { MERCURE_MODULE_OPTIONS, MERCURE_RESOLVED_OPTIONS } from './mercure.constants';
import type { MercureModuleAsyncOptions, MercureModuleOptions, MercureOptionsFactory } from './mercure.options';
import type { ResolvedMercureOptions } from './mercure-options.resolver';
import { mercureCoreProviders } from './mercure.providers';
import { mercureResourceProviders } from './resource/resource.providers';
import { MercureOutbox } from './outbox/mercure-outbox';
import { HubPublisher } from './publisher/hub-publisher';
import { HubRegistry } from './publisher/hub-registry';
import { MercureResourcePublisher } from './publisher/resource-publisher';
import { IriConverter } from './resource/iri-converter';
import { JsonLdSerializer } from './resource/jsonld.serializer';
import { ResourceMetadataRegistry } from './resource/resource-metadata.registry';

const EXPORTS = [MERCURE_RESOLVED_OPTIONS, HubRegistry, HubPublisher, IriConverter, JsonLdSerializer, ResourceMetadataRegistry, MercureOutbox, MercureResourcePublisher];

function moduleProviders(): Provider[] {
  return [
    ...mercureCoreProviders,
    ...mercureResourceProviders,
    { provide: APP_INTERCEPTOR, useClass: MercureDiscoveryInterceptor },
  ];
}

/**
 * Publishes committed changes of `@ApiResource({ mercure: ... })` entities to Mercure hubs and
 * advertises the hub with a `Link` header. Global by default.
 */
@Module({})
export class MercureModule implements NestModule, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly hubs: HubRegistry,
    @Inject(MERCURE_RESOLVED_OPTIONS) private readonly options: ResolvedMercureOptions,
  ) {}

  static forRoot(options: MercureModuleOptions = {}): DynamicModule {
    return {
      module: MercureModule,
      global: options.isGlobal ?? true,
      imports: [DiscoveryModule],
      providers: [{ provide: MERCURE_MODULE_OPTIONS, useValue: options }, ...moduleProviders()],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: MercureModuleAsyncOptions): DynamicModule {
    return {
      module: MercureModule,
      global: options.isGlobal ?? true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [...createAsyncOptionsProviders(options), ...moduleProviders()],
      exports: EXPORTS,
    };
  }

  /** `discovery: 'all'` covers responses no handler makes (unknown routes), hence a middleware. */
  configure(consumer: MiddlewareConsumer): void {
    if (this.options.discovery === 'all') {
      consumer.apply(MercureDiscoveryMiddleware).forRoutes('{*path}');
    }
  }

  /**
   * A first, quiet drain while the embedded hub (if any) still takes updates and its subscribers
   * are still connected. The HTTP server is still open, so updates may keep coming: the real
   * drain is the next hook's.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.drain({ quiet: true, timeout: Math.min(this.options.delivery.shutdownTimeout, FIRST_DRAIN_MS) });
  }

  /**
   * Nest closes the HTTP server between `beforeApplicationShutdown` and this hook, after the
   * requests in flight finished: every update of a request that was served is queued by now.
   * Deliver them (bounded by `delivery.shutdownTimeout`), then close the connections; what is
   * still pending then is logged with a count.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    await Promise.all(this.hubs.all().map((hub) => hub.close()));
  }

  private async drain({ quiet = false, timeout = this.options.delivery.shutdownTimeout } = {}): Promise<void> {
    await Promise.all(this.hubs.all().map((hub) => hub.drain(timeout, { quiet })));
  }
}

/** The first drain is for an embedded hub, in-process and quick: it must not hold the shutdown up. */
const FIRST_DRAIN_MS = 1000;

function createAsyncOptionsProviders(options: MercureModuleAsyncOptions): Provider[] {
  if (options.useFactory) {
    return [{ provide: MERCURE_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) {
    throw new Error('MercureModule.forRootAsync() needs useFactory, useClass or useExisting');
  }
  const providers: Provider[] = [
    {
      provide: MERCURE_MODULE_OPTIONS,
      useFactory: (factory: MercureOptionsFactory) => factory.createMercureOptions(),
      inject: [factoryClass],
    },
  ];
  if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
  return providers;
}
