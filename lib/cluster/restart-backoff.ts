/**
 * When to restart a worker that ended, and when to give up: the delay doubles with each failure
 * still inside the window (capped), and too many failures inside it mean the cause is not passing
 * (the database stays down, the app crashes on every request), so restarting is pointless.
 */
export class RestartBackoff {
  private failures: number[] = [];

  constructor(
    private readonly initialDelay: number,
    private readonly maxDelay: number,
    private readonly maxFailures: number,
    private readonly window: number,
  ) {}

  /** Records a failure now: the delay before the restart, or undefined to give up. */
  fail(now = Date.now()): number | undefined {
    // Failures older than the window are forgotten: a worker that stayed up that long resets the delay.
    this.failures = this.failures.filter((at) => now - at < this.window);
    this.failures.push(now);
    if (this.failures.length >= this.maxFailures) return undefined;
    return Math.min(this.maxDelay, this.initialDelay * 2 ** (this.failures.length - 1));
  }

  get recentFailures(): number {
    return this.failures.length;
  }
}
