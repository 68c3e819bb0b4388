import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Observable, tap } from 'rxjs';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import { MercureConfigurationError, ResolvedMercureOptions } from '../mercure-options.resolver';
import { HubRegistry } from '../publisher/hub-registry';
import { appendHeader, mercureLink } from './link-header';
import { MERCURE_DISCOVERY_METADATA } from './mercure-discovery.decorator';

type DiscoveryMetadata = { hub?: string } | undefined;

/**
 * Advertises the hub on HTTP responses. The header is set before the handler runs, so error
 * responses produced by exception filters carry it too, and again after it, in case the handler
 * replaced the `Link` header with its own (`appendHeader` never adds a value twice).
 */
@Injectable()
export class MercureDiscoveryInterceptor implements NestInterceptor, OnModuleInit {
  /** The `Link` value of each handler (null: none), worked out on its first request. */
  private readonly links = new WeakMap<Function, string | null>();

  constructor(
    private readonly reflector: Reflector,
    private readonly hubs: HubRegistry,
    @Inject(MERCURE_RESOLVED_OPTIONS) private readonly options: ResolvedMercureOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** A `@MercureDiscovery('name')` naming no configured hub fails the boot, not each request. */
  onModuleInit(): void {
    for (const { metatype, instance } of this.discovery.getControllers()) {
      if (!metatype || !instance) continue;
      const prototype = Object.getPrototypeOf(instance);
      const targets: [Function, string][] = [
        [metatype as Function, metatype.name],
        ...this.scanner
          .getAllMethodNames(prototype)
          .map((name): [Function, string] => [prototype[name], `${metatype.name}.${name}()`]),
      ];
      for (const [target, where] of targets) {
        const hub = this.reflector.get<DiscoveryMetadata>(MERCURE_DISCOVERY_METADATA, target)?.hub;
        if (hub !== undefined && !this.hubs.has(hub)) {
          throw new MercureConfigurationError(
            `@MercureDiscovery('${hub}') on ${where} names a hub that is not configured; hubs: ${this.hubs.names().join(', ')}`,
          );
        }
      }
    }
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const link = context.getType() === 'http' ? this.linkOf(context) : null;
    if (!link) return next.handle();
    const http = context.switchToHttp();
    const res = http.getResponse();
    const crossOrigin = Boolean(http.getRequest()?.headers?.origin);
    const advertise = () => {
      appendHeader(res, 'Link', link);
      // Cross-origin scripts may read only the headers CORS exposes.
      if (crossOrigin) appendHeader(res, 'Access-Control-Expose-Headers', 'Link');
    };
    advertise();
    return next.handle().pipe(tap({ next: advertise }));
  }

  private linkOf(context: ExecutionContext): string | null {
    const handler = context.getHandler();
    let link = this.links.get(handler);
    if (link === undefined) {
      const marked = this.reflector.getAllAndOverride<DiscoveryMetadata>(MERCURE_DISCOVERY_METADATA, [
        handler,
        context.getClass(),
      ]);
      const wanted = this.options.discovery === 'all' || (marked && this.options.discovery === 'decorated');
      const hub = wanted ? this.hubs.get(marked?.hub) : undefined;
      link = hub?.subscribeUrl ? mercureLink(hub.subscribeUrl, hub.protocol) : null;
      this.links.set(handler, link);
    }
    return link;
  }
}
