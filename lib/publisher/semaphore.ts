/** Counts the sends in flight; waiters are served first come, first served. */
export class Semaphore {
  private active = 0;
  // A waiter is a callback and its argument, side by side: waiting costs no closure or promise.
  private readonly waiting: ((arg: any) => void)[] = [];
  private readonly args: unknown[] = [];
  private head = 0;
  /** Releases asked for while one is handing a slot over: served by that call's loop. */
  private owed = 0;
  private releasing = false;

  constructor(private readonly limit: number) {}

  /** Takes a slot if one is free now (never when others wait: a free slot goes to them first). */
  tryAcquire(): boolean {
    if (this.active < this.limit) {
      this.active++;
      return true;
    }
    return false;
  }

  acquire(): Promise<void> | void {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    return new Promise<void>((resolve) => this.wait(resolve, undefined));
  }

  /**
   * Queues `granted(arg)` to be called (synchronously, from `release()`) once a slot is handed to
   * it; call it when `tryAcquire()` failed. The slot is the callback's to release.
   */
  wait<T>(granted: (arg: T) => void, arg: T): void {
    this.waiting.push(granted);
    this.args.push(arg);
  }

  release(): void {
    this.owed++;
    if (this.releasing) {
      // A waiter released from inside its own grant (e.g. the queue closing): the loop below hands
      // the slot on, so thousands of waiters cost no stack.
      return;
    }
    this.releasing = true;
    try {
      while (this.owed > 0) {
        this.owed--;
        this.handOver();
      }
    } finally {
      this.releasing = false;
    }
  }

  private handOver(): void {
    if (this.head < this.waiting.length) {
      // Hand the slot over directly, so a newcomer cannot overtake the waiters.
      const next = this.waiting[this.head];
      const arg = this.args[this.head];
      this.waiting[this.head] = noop;
      this.args[this.head++] = undefined;
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.args.length = 0;
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
        // Drop the served prefix now and then, so a queue that never empties does not grow forever.
        this.waiting.splice(0, this.head);
        this.args.splice(0, this.head);
        this.head = 0;
      }
      next(arg);
    } else {
      this.active--;
    }
  }
}

function noop(): void {}
