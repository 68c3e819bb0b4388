import { Update } from './update';

/**
 * Delivers one update to a hub and resolves with the id the hub assigned.
 * Rejects with a `HubDeliveryError` whose `retryable` flag tells the queue whether to try again.
 */
export interface PublishTransport {
  send(update: Update): Promise<string>;
  close?(): Promise<void>;
}

export class HubDeliveryError extends Error {
  constructor(
    message: string,
    /** Network errors, 5xx and 429 are worth retrying; other answers are not. */
    readonly retryable: boolean,
    readonly status?: number,
    readonly body?: string,
    /** How long the hub asked to wait before the next attempt (`Retry-After`), in milliseconds. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'HubDeliveryError';
  }
}
