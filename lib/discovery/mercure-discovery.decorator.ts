import { SetMetadata } from '@nestjs/common';

export const MERCURE_DISCOVERY_METADATA = 'nestjs-mercure:discovery';

/**
 * Adds the `Link: <hub>; rel="mercure"` header to the responses of a controller or handler.
 * Needed with `discovery: 'decorated'`; with `'all'` it picks another hub than the default.
 */
export const MercureDiscovery = (hub?: string): ClassDecorator & MethodDecorator =>
  SetMetadata(MERCURE_DISCOVERY_METADATA, { hub });
