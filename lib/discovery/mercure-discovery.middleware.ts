import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { MERCURE_RESOLVED_OPTIONS } from '../mercure.constants';
import type { ResolvedMercureOptions } from '../mercure-options.resolver';
import { HubRegistry } from '../publisher/hub-registry';
import { appendHeader, mercureLink } from './link-header';

/**
 * `discovery: 'all'`: the default hub's `Link` on every response, including those no handler
 * produces (a 404 for an unknown route, a body parser's 400), which the interceptor never sees.
 */
@Injectable()
export class MercureDiscoveryMiddleware implements NestMiddleware {
  private readonly link?: string;

  constructor(hubs: HubRegistry, @Inject(MERCURE_RESOLVED_OPTIONS) options: ResolvedMercureOptions) {
    const url = options.discovery === 'all' ? hubs.get().subscribeUrl : undefined;
    this.link = url ? mercureLink(url, hubs.get().protocol) : undefined;
  }

  use(req: { headers?: Record<string, unknown> }, res: Parameters<typeof appendHeader>[0], next: () => void): void {
    if (this.link) {
      appendHeader(res, 'Link', this.link);
      if (req.headers?.origin) appendHeader(res, 'Access-Control-Expose-Headers', 'Link');
    }
    next();
  }
}
