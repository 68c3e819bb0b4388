import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, tap } from 'rxjs';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import type { ResolvedMercureOptions } from '../mercure-options.resolver';
import { HubRegistry } from '../publisher/hub-registry';
import { appendHeader, mercureLink } from './link-header';
import { MERCURE_DISCOVERY_METADATA } from './mercure-discovery.decorator';

/**
 * Advertises the hub on HTTP responses. The header is set before the handler runs, so error
 * responses produced by exception filters carry it too, and again after it, in case the handler
 * replaced the `Link` header with its own (`appendHeader` never adds a value twice).
 */
@Injectable()
export class MercureDiscoveryInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly hubs: HubRegistry,
    @Inject(MERCURE_RESOLVED_OPTIONS) private readonly options: ResolvedMercureOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const advertise = this.advertiser(context);
    if (!advertise) return next.handle();
    advertise();
    return next.handle().pipe(tap({ next: advertise }));
  }

  private advertiser(context: ExecutionContext): (() => void) | undefined {
    if (context.getType() !== 'http' || this.options.discovery === false) return undefined;
    const marked = this.reflector.getAllAndOverride<{ hub?: string } | undefined>(MERCURE_DISCOVERY_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!marked && this.options.discovery !== 'all') return undefined;
    const url = this.hubs.get(marked?.hub).subscribeUrl;
    if (!url) return undefined;
    const http = context.switchToHttp();
    const res = http.getResponse();
    const crossOrigin = Boolean(http.getRequest()?.headers?.origin);
    return () => {
      appendHeader(res, 'Link', mercureLink(url));
      // Cross-origin scripts may read only the headers CORS exposes.
      if (crossOrigin) appendHeader(res, 'Access-Control-Expose-Headers', 'Link');
    };
  }
}
