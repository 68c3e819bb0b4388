import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
  Provider,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EventEmitter } from 'events';
import type { IncomingMessage, ServerResponse } from 'http';
import { MERCURE_LOCAL_HUB } from '../mercure.constants';
import { MercureHub } from './mercure-hub';
import {
  MercureHubConfigError,
  MercureHubModuleAsyncOptions,
  MercureHubModuleOptions,
  MercureHubOptionsFactory,
} from './mercure-hub.options';
import { mountAtServer, servedAtServer } from './server-mount';

/** Injection token of the `MercureHubModuleOptions` given to `forRoot` / `forRootAsync`. */
export const MERCURE_HUB_MODULE_OPTIONS = Symbol('MERCURE_HUB_MODULE_OPTIONS');

/** Names of the body parsers Express / Nest register; the hub goes before them to read its own body. */
const BODY_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'rawParser', 'textParser']);

/**
 * Mounts the hub and ends its streams on shutdown.
 *
 * With `mount: 'server'` (the default), a dispatcher on the adapter's HTTP server hands the hub's
 * requests to it before Express / Fastify sees them (`server-mount.ts`). Either way the hub is
 * also mounted directly on the adapter (not through `MiddlewareConsumer`): the only mount with
 * `'framework'`, the fallback for requests that reach the framework otherwise. Its path is exactly
 * the configured one whatever the global prefix, and no route syntax is involved (the same code
 * works with path-to-regexp 0.x and 8). On Express, its layer is moved before Nest's body parsers
 * so that the hub reads the publish body itself, with its own limits.
 */
@Injectable()
class MercureHubLifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('MercureHub');

  constructor(
    @Inject(MercureHub) private readonly hub: MercureHub,
    @Inject(MERCURE_HUB_MODULE_OPTIONS) private readonly options: MercureHubModuleOptions,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) {
      this.logger.log('No HTTP adapter (application context): the hub is available in-process only');
      return;
    }
    const hub = this.hub;
    const middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
      if (!servedAtServer(req)) hub.handle(req, res, next);
    };
    adapter.use(middleware);
    moveBeforeBodyParsers(adapter.getInstance?.(), middleware);
    const server = this.options.mount === 'framework' ? undefined : (adapter.getHttpServer?.() as EventEmitter | undefined);
    if (server && typeof server.listeners === 'function') {
      mountAtServer(server, (req) => hub.owns(req), (req, res) => hub.handle(req, res));
      this.logger.log(`Mercure hub mounted at ${hub.path} (HTTP server, before the framework)`);
    } else {
      this.logger.log(`Mercure hub mounted at ${hub.path} (framework middleware)`);
    }
  }

  /** Ends the streams before the HTTP server closes (it would wait for them otherwise). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.hub.closeConnections();
  }

  /** Closes the transport last, so that in-process publishing works during the shutdown. */
  async onApplicationShutdown(): Promise<void> {
    await this.hub.close();
  }
}

function moveBeforeBodyParsers(app: unknown, handler: unknown): void {
  const candidate = app as { router?: { stack?: unknown }; _router?: { stack?: unknown } } | undefined;
  let stack: unknown;
  try {
    stack = candidate?.router?.stack ?? candidate?._router?.stack;
  } catch {
    return;
  }
  if (!Array.isArray(stack)) return;
  const layers = stack as { handle?: { name?: string } }[];
  const ours = layers.findIndex((layer) => layer?.handle === handler);
  const firstParser = layers.findIndex((layer) => BODY_PARSERS.has(layer?.handle?.name ?? ''));
  if (ours === -1 || firstParser === -1 || firstParser > ours) return;
  const [layer] = layers.splice(ours, 1);
  layers.splice(firstParser, 0, layer);
}

async function createHub(options: MercureHubModuleOptions): Promise<MercureHub> {
  if (!options || typeof options !== 'object') {
    throw new MercureHubConfigError('MercureHubModule options must be an object');
  }
  const hub = new MercureHub({ ...options, logger: new Logger('MercureHub') });
  try {
    await hub.start();
  } catch (error) {
    await hub.close().catch(() => undefined);
    throw error;
  }
  return hub;
}

function hubProviders(): Provider[] {
  return [
    { provide: MercureHub, useFactory: createHub, inject: [MERCURE_HUB_MODULE_OPTIONS] },
    { provide: MERCURE_LOCAL_HUB, useExisting: MercureHub },
    MercureHubLifecycle,
  ];
}

const EXPORTS = [MercureHub, MERCURE_LOCAL_HUB, MERCURE_HUB_MODULE_OPTIONS];

/**
 * The embedded Mercure hub, mounted at `/.well-known/mercure` (or `path`) of the Nest app. Global:
 * `MercureHub` and `MERCURE_LOCAL_HUB` are injectable everywhere, and `MercureModule` hands updates
 * to the hub in-process when it has no `publishUrl`.
 */
@Global()
@Module({})
export class MercureHubModule {
  static forRoot(options: MercureHubModuleOptions = {}): DynamicModule {
    return {
      module: MercureHubModule,
      global: true,
      providers: [{ provide: MERCURE_HUB_MODULE_OPTIONS, useValue: options }, ...hubProviders()],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: MercureHubModuleAsyncOptions): DynamicModule {
    const providers: Provider[] = [];
    if (options.useFactory) {
      providers.push({
        provide: MERCURE_HUB_MODULE_OPTIONS,
        useFactory: options.useFactory,
        inject: options.inject ?? [],
      });
    } else if (options.useClass || options.useExisting) {
      const factoryClass = (options.useClass ?? options.useExisting)!;
      if (options.useClass) providers.push({ provide: factoryClass, useClass: factoryClass });
      providers.push({
        provide: MERCURE_HUB_MODULE_OPTIONS,
        useFactory: (factory: MercureHubOptionsFactory) => factory.createMercureHubOptions(),
        inject: [factoryClass],
      });
    } else {
      throw new MercureHubConfigError('MercureHubModule.forRootAsync needs useFactory, useClass or useExisting');
    }
    return {
      module: MercureHubModule,
      global: true,
      imports: options.imports ?? [],
      providers: [...providers, ...hubProviders()],
      exports: EXPORTS,
    };
  }
}
