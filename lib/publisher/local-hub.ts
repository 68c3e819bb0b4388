import { Update } from './update';

/**
 * What the embedded hub offers to publishers in the same process. It applies the same validation
 * as an HTTP publish and rejects with a `HubDeliveryError` (status 400) on invalid updates.
 */
export interface LocalHub {
  /** Path the hub is mounted at, e.g. `/.well-known/mercure`. */
  readonly path: string;
  publish(update: Update): Promise<string>;
}
