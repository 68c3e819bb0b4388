import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import type { ResolvedMercureOptions } from '../mercure-options.resolver';
import { HubRegistry } from '../publisher/hub-registry';
import { appendHeader, mercureLink } from './link-header';
import { MERCURE_DISCOVERY_METADATA } from './mercure-discovery.decorator';

/**
 * Advertises the hub on HTTP responses. The header is set before the handler runs, so error
 * responses produced by exception filters carry it too.
 */
@Injectable()
export class MercureDiscoveryInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly hubs: HubRegistry,
    @Inject(MERCURE_RESOLVED_OPTIONS) private readonly options: ResolvedMercureOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http' && this.options.discovery !== false) {
      const marked = this.reflector.getAllAndOverride<{ hub?: string } | undefined>(MERCURE_DISCOVERY_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]);
      if (marked || this.options.discovery === 'all') {
        const url = this.hubs.get(marked?.hub).subscribeUrl;
        if (url) {
          const http = context.switchToHttp();
          const res = http.getResponse();
          appendHeader(res, 'Link', mercureLink(url));
          // Cross-origin scripts may read only the headers CORS exposes.
          if (http.getRequest()?.headers?.origin) appendHeader(res, 'Access-Control-Expose-Headers', 'Link');
        }
      }
    }
    return next.handle();
  }
}
