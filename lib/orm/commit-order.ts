/**
 * A place in the commit order: taken when a transaction is about to send COMMIT (its writes done,
 * its row locks held), settled once its updates are handed to the hubs, or dropped.
 */
export interface CommitTicket {
  readonly seq: number;
  /** The IRIs it publishes; `undefined` while not known yet (a flush's own transaction), which blocks every later ticket. */
  iris?: { has(iri: string): boolean };
  settled: boolean;
  done?: Promise<void>;
  resolve?: () => void;
}

/**
 * Hands the updates of concurrent transactions to the hubs in the order they committed.
 *
 * MikroORM fires `afterTransactionCommit` only after awaiting the driver's transaction promise
 * (connection release included), so a transaction T2 that waited for T1's row lock can commit and
 * reach its `afterTransactionCommit` before T1 does. But T2's write on that row completed only
 * after T1 sent COMMIT, so T2 reaches `beforeTransactionCommit` after T1 did: that event hands out
 * the tickets, and a ticket's updates wait for every earlier, unsettled ticket that publishes one
 * of the same IRIs (or whose IRIs are not known yet). A transaction that is still open (not
 * committing) never holds anybody back, so an outer transaction never blocks the inner
 * `REQUIRES_NEW` one it awaits. Tickets only wait for earlier tickets, so waits cannot form a
 * cycle; a wait longer than `holdTimeoutMs` (a ticket whose end we never heard of) gives up on it.
 *
 * Without contention (the usual case) `run()` calls back synchronously and allocates nothing more.
 */
export class CommitOrder {
  private next = 0;
  /** Unsettled tickets, in the order they were taken (Set iteration follows insertion). */
  private readonly open = new Set<CommitTicket>();
  private readonly held = new Set<Promise<unknown>>();

  constructor(
    private readonly holdTimeoutMs: number,
    private readonly onTimeout: (stale: number) => void,
  ) {}

  take(iris?: { has(iri: string): boolean }): CommitTicket {
    const ticket: CommitTicket = { seq: this.next++, iris, settled: false };
    this.open.add(ticket);
    return ticket;
  }

  /** Drops a ticket (its updates were published or discarded) and wakes who waited for it. */
  settle(ticket: CommitTicket | undefined): void {
    if (ticket && !ticket.settled) {
      ticket.settled = true;
      this.open.delete(ticket);
      ticket.resolve?.();
    }
  }

  /**
   * Calls `publish` once no earlier ticket publishing one of `iris` is unsettled, then settles
   * the ticket. Synchronous (returns what `publish` returned) when nothing is in the way.
   */
  run<R>(ticket: CommitTicket, iris: readonly string[], publish: () => R): R | Promise<void> {
    const blockers = this.blockers(ticket, iris);
    if (blockers.length === 0) {
      try {
        return publish();
      } finally {
        this.settle(ticket);
      }
    }
    // Later tickets now check against what this one publishes.
    ticket.iris = new Set(iris);
    const released = this.whenSettled(blockers).then(async () => {
      try {
        await publish();
      } finally {
        this.settle(ticket);
      }
    });
    const tracked = released.then(noop, noop);
    this.held.add(tracked);
    void tracked.then(() => this.held.delete(tracked));
    return released;
  }

  /** Resolves once the updates held back when this was called have been handed over. */
  whenReleased(): Promise<void> {
    return this.held.size === 0 ? Promise.resolve() : Promise.all([...this.held]).then(noop);
  }

  /** Unsettled tickets (for tests: none once every transaction ended). */
  get pending(): number {
    return this.open.size;
  }

  private blockers(ticket: CommitTicket, iris: readonly string[]): CommitTicket[] {
    const blockers: CommitTicket[] = [];
    for (const other of this.open) {
      if (other.seq >= ticket.seq) {
        break;
      }
      const known = other.iris;
      if (known === undefined || iris.some((iri) => known.has(iri))) {
        blockers.push(other);
      }
    }
    return blockers;
  }

  private whenSettled(blockers: CommitTicket[]): Promise<void> {
    const all = Promise.all(
      blockers.map((blocker) => (blocker.done ??= new Promise<void>((resolve) => (blocker.resolve = resolve)))),
    );
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const stale = blockers.filter((blocker) => !blocker.settled);
        this.onTimeout(stale.length);
        stale.forEach((blocker) => this.settle(blocker));
      }, this.holdTimeoutMs);
      timer.unref?.();
      void all.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function noop(): void {}
