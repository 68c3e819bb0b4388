import { DynamicModule, Module } from '@nestjs/common';
import { MercureModule } from '../mercure.module';
import { MERCURE_LOCAL_HUB, MERCURE_MODULE_OPTIONS, MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { resolveMercureOptions, type ResolvedMercureOptions } from '../mercure-options.resolver';
import type { MercureModuleOptions } from '../mercure.options';
import { createHubRegistry } from '../mercure.providers';
import { HubRegistry } from '../publisher/hub-registry';
import type { LocalHub } from '../publisher/local-hub';
import { UpdateRecorder } from './update-recorder';

/** The part of `@nestjs/testing`'s TestingModuleBuilder that `overrideIn` uses. */
export interface OverridableTestingModule<B extends OverridableTestingModule<B>> {
  overrideProvider(token: unknown): { useFactory(options: { factory: (...args: any[]) => unknown; inject?: unknown[] }): B };
}

export interface MercureTestingOptions {
  /** Base of the topic IRIs; `http://localhost` by default. */
  baseUrl?: string;
  /** Names of extra hubs your resources publish to (they all record into the same recorder). */
  hubs?: string[];
  /** Hub URL advertised in the `Link` header; `http://localhost/.well-known/mercure` by default. */
  subscribeUrl?: string;
}

/**
 * Replaces `MercureModule` in tests: nothing is sent anywhere, every update is recorded by the
 * injectable `UpdateRecorder`, and flushes wait for the recording so assertions can follow the
 * request directly.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [MikroOrmModule.forRoot(...), MercureTestingModule.forRoot()],
 * }).compile();
 * const recorder = moduleRef.get(UpdateRecorder);
 * ```
 */
@Module({})
export class MercureTestingModule {
  static forRoot(options: MercureTestingOptions = {}): DynamicModule {
    const recorder = new UpdateRecorder();
    const subscribeUrl = options.subscribeUrl ?? 'http://localhost/.well-known/mercure';
    return {
      module: MercureTestingModule,
      global: true,
      imports: [
        MercureModule.forRoot({
          baseUrl: options.baseUrl ?? 'http://localhost',
          subscribeUrl,
          transport: recorder,
          hubs: Object.fromEntries((options.hubs ?? []).map((name) => [name, { subscribeUrl, transport: recorder }])),
          delivery: { waitForDelivery: true },
        }),
      ],
      providers: [{ provide: UpdateRecorder, useValue: recorder }],
      exports: [UpdateRecorder],
    };
  }

  /**
   * Keeps the `MercureModule` of an existing AppModule (its `baseUrl`, hubs, their advertised URLs
   * and keys, and resources) but records every update in `recorder` instead of sending it, in
   * memory mode, flushes waiting for the recording. Nest's `overrideModule()` matches a module by
   * identity, so it cannot replace the `MercureModule.forRoot(...)` your AppModule built; this
   * overrides its delivery options and its hubs' transports instead. What reads the hubs' settings
   * (`MercureAuthorizationModule` signing subscriber tokens, discovery) sees them unchanged.
   *
   * ```ts
   * const recorder = new UpdateRecorder();
   * const moduleRef = await MercureTestingModule.overrideIn(Test.createTestingModule({ imports: [AppModule] }), recorder).compile();
   * ```
   */
  static overrideIn<B extends OverridableTestingModule<B>>(builder: B, recorder: UpdateRecorder): B {
    return builder
      .overrideProvider(MERCURE_RESOLVED_OPTIONS)
      .useFactory({
        factory: (options: MercureModuleOptions) =>
          resolveMercureOptions({ ...options, delivery: { ...options.delivery, mode: 'memory', waitForDelivery: true } }),
        inject: [MERCURE_MODULE_OPTIONS],
      })
      .overrideProvider(HubRegistry)
      .useFactory({
        factory: (options: ResolvedMercureOptions, localHub?: LocalHub) => createHubRegistry(options, localHub, recorder),
        inject: [MERCURE_RESOLVED_OPTIONS, { token: MERCURE_LOCAL_HUB, optional: true }],
      });
  }
}
