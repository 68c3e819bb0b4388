import { Provider } from '@nestjs/common';
import { MERCURE_LOCAL_HUB, MERCURE_MODULE_OPTIONS, MERCURE_RESOLVED_OPTIONS } from './mercure.constants';
import { MercureConfigurationError, resolveMercureOptions, ResolvedHubConfig, ResolvedMercureOptions } from './mercure-options.resolver';
import type { MercureModuleOptions } from './mercure.options';
import { HttpTransport } from './publisher/http-transport';
import { HubPublisher } from './publisher/hub-publisher';
import { HubRegistry } from './publisher/hub-registry';
import type { LocalHub } from './publisher/local-hub';
import { LocalHubTransport } from './publisher/local-hub-transport';
import { PublishQueue } from './publisher/publish-queue';
import type { PublishTransport } from './publisher/publish-transport';
import { createTokenProvider } from './publisher/token-provider';

function createTransport(hub: ResolvedHubConfig, options: ResolvedMercureOptions, localHub?: LocalHub): PublishTransport {
  if (hub.transport) return hub.transport;
  if (hub.publishUrl) {
    return new HttpTransport({
      url: hub.publishUrl,
      token: createTokenProvider(hub.jwt, `${hub.optionPath}jwt`, hub.accessToken),
      timeout: options.delivery.timeout,
      connections: options.delivery.connections,
    });
  }
  if (localHub) return new LocalHubTransport(localHub);
  const variable = hub.optionPath ? '' : ' (env MERCURE_PUBLISH_URL)';
  throw new MercureConfigurationError(
    `hub "${hub.name}" has no \`${hub.optionPath}publishUrl\`${variable}, and no embedded hub is imported: ` +
      'set the URL of a Mercure hub, or import MercureHubModule to serve one from this app',
  );
}

function subscribeUrlOf(hub: ResolvedHubConfig, options: ResolvedMercureOptions, localHub?: LocalHub): string | undefined {
  if (hub.subscribeUrl) return hub.subscribeUrl;
  if (hub.publishUrl) return hub.publishUrl;
  if (localHub && !hub.transport) return options.baseUrl + localHub.path;
  return undefined;
}

/**
 * The hubs of the resolved options. `replacement` stands in for every hub's transport (the testing
 * override records instead of publishing), the hubs' advertised URLs staying what they would be.
 */
export function createHubRegistry(options: ResolvedMercureOptions, localHub?: LocalHub, replacement?: PublishTransport): HubRegistry {
  const publishers = new Map<string, HubPublisher>();
  for (const hub of options.hubs) {
    const queue = new PublishQueue(replacement ?? createTransport(hub, options, localHub), {
      hubName: hub.name,
      retries: options.delivery.retries,
      retryWindow: options.delivery.retryWindow,
      maxPending: options.delivery.maxPending,
      retryDelay: options.delivery.retryDelay,
      maxRetryDelay: options.delivery.maxRetryDelay,
    });
    publishers.set(hub.name, new HubPublisher(hub.name, subscribeUrlOf(hub, options, localHub), queue, hub.protocol));
  }
  return new HubRegistry(publishers, options.defaultHub);
}

export const mercureCoreProviders: Provider[] = [
  {
    provide: MERCURE_RESOLVED_OPTIONS,
    useFactory: (options: MercureModuleOptions) => resolveMercureOptions(options),
    inject: [MERCURE_MODULE_OPTIONS],
  },
  {
    provide: HubRegistry,
    useFactory: (options: ResolvedMercureOptions, localHub?: LocalHub) => createHubRegistry(options, localHub),
    inject: [MERCURE_RESOLVED_OPTIONS, { token: MERCURE_LOCAL_HUB, optional: true }],
  },
  {
    provide: HubPublisher,
    useFactory: (registry: HubRegistry) => registry.get(),
    inject: [HubRegistry],
  },
];
