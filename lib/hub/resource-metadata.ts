import type { ServerResponse } from 'http';
import { MERCURE_AUTHORIZATION_DETAIL } from '../jwt/access-token';
import type { HubConfig } from './hub-config';

/** Where RFC 9728 puts the metadata of a protected resource: the well-known prefix, then its path. */
export function resourceMetadataPath(hubPath: string): string {
  return `/.well-known/oauth-protected-resource${hubPath}`;
}

/**
 * The hub's RFC 9728 protected resource metadata (protocol 1.0): which resource identifier tokens
 * must name in `aud`, who issues them, how they may be sent, which algorithms sign them, and the
 * authorization details type it reads.
 */
export function sendResourceMetadata(res: ServerResponse, config: HubConfig): void {
  const accessToken = config.accessToken!;
  const algorithms = new Set([config.publisherJwt?.algorithm, config.subscriberJwt?.algorithm].filter(Boolean));
  const body = JSON.stringify({
    resource: accessToken.audience,
    authorization_servers: [accessToken.issuer],
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: [...algorithms],
    authorization_details_types_supported: [MERCURE_AUTHORIZATION_DETAIL],
  });
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'public, max-age=3600',
  });
  res.end(body);
}
