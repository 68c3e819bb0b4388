import { randomUUID } from 'crypto';
import type { PublishTransport } from '../publisher/publish-transport';
import type { Update } from '../publisher/update';

interface Waiter {
  predicate: (update: Update) => boolean;
  resolve: (update: Update) => void;
}

/**
 * A transport that delivers nowhere and remembers every update, for assertions in tests:
 *
 * ```ts
 * const recorder = new UpdateRecorder();
 * // MercureModule.forRoot({ transport: recorder, ... })
 * await request(app).post('/books').send({ title: 'Dune' });
 * const update = await recorder.waitFor((u) => u.topics[0].endsWith('/books/1'));
 * ```
 */
export class UpdateRecorder implements PublishTransport {
  /** Every update sent, in the order the queue delivered them. */
  readonly updates: Update[] = [];
  private readonly waiters = new Set<Waiter>();

  async send(update: Update): Promise<string> {
    this.updates.push(update);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(update)) {
        this.waiters.delete(waiter);
        waiter.resolve(update);
      }
    }
    return update.id ?? `urn:uuid:${randomUUID()}`;
  }

  /** Forgets the recorded updates (pending `waitFor` calls keep waiting). */
  clear(): void {
    this.updates.length = 0;
  }

  /** The canonical (first) topic of each recorded update, in order. */
  topics(): string[] {
    return this.updates.map((update) => update.topics[0]);
  }

  /**
   * Resolves with the first recorded update matching `predicate`, one already recorded included;
   * rejects after `timeoutMs` listing what was recorded.
   */
  waitFor(predicate: (update: Update) => boolean, timeoutMs = 5000): Promise<Update> {
    const recorded = this.updates.find(predicate);
    if (recorded) {
      return Promise.resolve(recorded);
    }
    return new Promise<Update>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (update) => {
          clearTimeout(timer);
          resolve(update);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`No matching Mercure update within ${timeoutMs} ms; recorded topics: ${JSON.stringify(this.topics())}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}
