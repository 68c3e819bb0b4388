import { Logger } from '@nestjs/common';
import type { HubRegistry } from '../publisher/hub-registry';
import type { ResourceUpdate } from '../resource/resource-update';

/**
 * Hands the listener's updates to the hubs.
 *
 * Fire-and-forget (the default): the updates are queued on the next turn of the event loop
 * (`setImmediate`), batches in the order they were recorded, so their JSON encoding and queueing
 * happen after the flush or the commit has returned; their data was snapshotted before. Failures
 * are logged, never thrown. `whenQueued()` waits for that hand-off, `queuePending()` does it at
 * once (at shutdown, before the hubs drain).
 *
 * Waiting (`waitForDelivery`): `publishAndWait()` resolves once every hub accepted its updates and
 * rejects with the first delivery error.
 */
export class UpdateDispatcher {
  private readonly logger = new Logger('Mercure');
  // Not a literal: see `compilePropertyWriter`.
  private batches = Array.of<readonly ResourceUpdate[]>();
  private scheduled?: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly hubs: HubRegistry) {}

  dispatchSoon(updates: readonly ResourceUpdate[]): void {
    this.batches.push(updates);
    if (!this.scheduled) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.scheduled = { promise, resolve };
      setImmediate(() => this.queuePending());
    }
  }

  /** Resolves once every update given to `dispatchSoon()` so far is in its hub's queue. */
  whenQueued(): Promise<void> {
    return this.scheduled?.promise ?? Promise.resolve();
  }

  queuePending(): void {
    if (this.batches.length === 0) {
      return; // the fast path of HubPublisher's before-enqueue hook (and of a re-entrant call)
    }
    const batches = this.batches;
    const scheduled = this.scheduled;
    this.batches = Array.of();
    this.scheduled = undefined;
    // Indexed: `for...of` allocated an iterator result per update here (heap profile of the flush bench).
    for (let b = 0; b < batches.length; b++) {
      const batch = batches[b];
      for (let i = 0; i < batch.length; i++) {
        const update = batch[i];
        try {
          this.hubs.get(update.hub).dispatch(update.toUpdate());
        } catch (error) {
          this.logger.error(`Could not queue the Mercure update of ${update.iri}: ${error?.message ?? error}`);
        }
      }
    }
    scheduled?.resolve();
  }

  async publishAndWait(updates: readonly ResourceUpdate[]): Promise<void> {
    // Enqueue all first: the queue keeps per-topic order and sends disjoint topics concurrently.
    const deliveries = updates.map((update) => this.hubs.get(update.hub).publish(update.toUpdate()));
    const results = await Promise.allSettled(deliveries);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) {
      throw failure.reason;
    }
  }
}
