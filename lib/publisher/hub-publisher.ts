import { PublishQueue } from './publish-queue';
import { Update } from './update';

/**
 * Publishes Mercure updates to one configured hub.
 *
 * Inject it to publish anything the ORM listener does not (`em.upsert()`, `nativeUpdate()`,
 * QueryBuilder writes, or updates that are not entities at all). The default hub is injected as
 * `HubPublisher`; every configured hub, by name, is available from `HubRegistry`.
 *
 * ```ts
 * @Injectable()
 * export class StockService {
 *   constructor(private readonly hub: HubPublisher) {}
 *
 *   async restock(sku: string): Promise<void> {
 *     // ... update the stock with a bulk query ...
 *     this.hub.dispatch(new Update(`https://api.example.com/stock/${sku}`, JSON.stringify({ sku })));
 *   }
 * }
 * ```
 *
 * Delivery goes through the hub's queue: updates sharing a topic reach the hub in the order they
 * were published, network errors, timeouts, 5xx and 429 answers are retried with backoff, and an
 * update that cannot be delivered is logged once (context `Mercure`).
 */
export class HubPublisher {
  private readonly enqueueHooks: (() => void)[] = [];

  constructor(
    /** The hub's name in the module options (`default` for the top-level one). */
    readonly name: string,
    /** Public URL subscribers connect to, as advertised in the discovery `Link` header. */
    readonly subscribeUrl: string | undefined,
    private readonly queue: PublishQueue,
    /** The Mercure protocol the hub speaks (`protocol` in the module options). */
    readonly protocol: '0.x' | '1.0' = '0.x',
  ) {}

  /**
   * Publishes an update and resolves with the id the hub assigned, once the hub has accepted it.
   * Rejects with a `HubDeliveryError` when the hub refuses it or stays unreachable after the
   * retries; the failure is also logged.
   */
  publish(update: Update): Promise<string> {
    this.runEnqueueHooks();
    return this.queue.enqueue(update);
  }

  /**
   * Publishes an update without waiting for the hub. Failures are logged by the queue and
   * otherwise ignored, so a hub outage never fails the caller.
   */
  dispatch(update: Update): void {
    this.runEnqueueHooks();
    this.queue.dispatch(update);
  }

  /** @internal One attempt, no queue, no retry: the outbox relay orders and retries by itself. */
  sendOnce(update: Update): Promise<string> {
    return this.queue.sendOnce(update);
  }

  /**
   * @internal Runs `hook` (synchronously) before every update is queued, so that the ORM listener
   * queues the updates it deferred first and a later `dispatch()` cannot overtake them. Returns a
   * function that removes the hook.
   */
  beforeEnqueue(hook: () => void): () => void {
    this.enqueueHooks.push(hook);
    return () => {
      const index = this.enqueueHooks.indexOf(hook);
      if (index >= 0) {
        this.enqueueHooks.splice(index, 1);
      }
    };
  }

  private runEnqueueHooks(): void {
    for (let i = 0; i < this.enqueueHooks.length; i++) {
      this.enqueueHooks[i]();
    }
  }

  /** Since start: updates pending, delivered, and given up (each give-up is also logged, per incident). */
  get stats(): { pending: number; delivered: number; givenUp: number } {
    return this.queue.stats;
  }

  /** Updates published and not yet delivered or given up. */
  get pending(): number {
    return this.queue.pending;
  }

  /**
   * Waits for the pending updates: `true` once all have settled, `false` if `timeoutMs` runs out
   * first (delivery goes on in the background).
   */
  drain(timeoutMs: number, options?: { quiet?: boolean }): Promise<boolean> {
    return this.queue.drain(timeoutMs, options);
  }

  /** Refuses new updates, gives up the ones still waiting, and closes the connections to the hub. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
