import type { LocalHub } from './local-hub';
import { HubDeliveryError, PublishTransport } from './publish-transport';
import { Update } from './update';

/**
 * Hands updates to the embedded hub in the same process: no HTTP, no token (the publisher is
 * trusted), but the hub still validates the update as it would a POST.
 */
export class LocalHubTransport implements PublishTransport {
  constructor(private readonly hub: LocalHub) {}

  async send(update: Update): Promise<string> {
    try {
      return await this.hub.publish(update);
    } catch (error) {
      if (error instanceof HubDeliveryError) {
        throw error;
      }
      // An unexpected throw is a bug or a refusal, not a network hiccup: retrying would not help.
      throw new HubDeliveryError(
        `The embedded Mercure hub at ${this.hub.path} refused the update: ${(error as Error)?.message ?? error}`,
        false,
      );
    }
  }
}
