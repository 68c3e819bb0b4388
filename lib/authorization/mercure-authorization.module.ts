import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import { MERCURE_HUB_MODULE_OPTIONS } from '../hub/mercure-hub.module';
import type { MercureHubModuleOptions } from '../hub/mercure-hub.options';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import type { ResolvedMercureOptions } from '../mercure-options.resolver';
import { HubRegistry } from '../publisher/hub-registry';
import { resolveHubAuthorizations } from './hub-authorization';
import { MercureAuthorization } from './mercure-authorization';
import type { MercureAuthorizationModuleAsyncOptions, MercureAuthorizationModuleOptions } from './mercure-authorization.options';

const OPTIONS = Symbol('MERCURE_AUTHORIZATION_OPTIONS');

function createAuthorization(
  options: MercureAuthorizationModuleOptions,
  mercure: ResolvedMercureOptions,
  registry: HubRegistry,
  embedded?: MercureHubModuleOptions,
): MercureAuthorization {
  const hubs = resolveHubAuthorizations(options ?? {}, mercure, registry, embedded);
  for (const hub of hubs.values()) {
    if (!(hub.scope instanceof Error) && hub.scope.unreachable) {
      new Logger('MercureAuthorization').warn(`Hub "${hub.name}": ${hub.scope.unreachable}`);
    }
  }
  return new MercureAuthorization(hubs, mercure.defaultHub, mercure.baseUrl);
}

const SERVICE: Provider = {
  provide: MercureAuthorization,
  useFactory: createAuthorization,
  inject: [OPTIONS, MERCURE_RESOLVED_OPTIONS, HubRegistry, { token: MERCURE_HUB_MODULE_OPTIONS, optional: true }],
};

/**
 * Provides `MercureAuthorization` (subscriber tokens and cookies) for the hubs of `MercureModule`,
 * which must be imported too (it is global by default). Keys are checked at start-up.
 */
@Module({})
export class MercureAuthorizationModule {
  static forRoot(options: MercureAuthorizationModuleOptions = {}): DynamicModule {
    return {
      module: MercureAuthorizationModule,
      global: true,
      providers: [{ provide: OPTIONS, useValue: options }, SERVICE],
      exports: [MercureAuthorization],
    };
  }

  static forRootAsync(options: MercureAuthorizationModuleAsyncOptions): DynamicModule {
    return {
      module: MercureAuthorizationModule,
      global: true,
      imports: options.imports ?? [],
      providers: [{ provide: OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, SERVICE],
      exports: [MercureAuthorization],
    };
  }
}
