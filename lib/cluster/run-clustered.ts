import cluster, { type Worker } from 'cluster';
import { availableParallelism } from 'os';
import { Logger } from '@nestjs/common';
import { RUN_CLUSTERED_ENV } from './cluster-marker';
import { RestartBackoff } from './restart-backoff';

export interface RunClusteredOptions {
  /** Worker processes; default `os.availableParallelism()`. */
  workers?: number;
  /**
   * Milliseconds the primary waits, after SIGTERM or SIGINT, for every worker to end before it
   * kills the rest with SIGKILL (default 30000). Keep it above the app's own shutdown bounds.
   */
  shutdownTimeout?: number;
  /** Milliseconds before the first restart of a worker that ended (default 1000); doubles with each failure. */
  restartDelay?: number;
  /** The longest delay before a restart, in ms (default 30000). */
  maxRestartDelay?: number;
  /** Worker failures within `failureWindow` after which the primary stops everything and exits with 1 (default 10). */
  maxFailures?: number;
  /** Milliseconds a failure counts for (default 300000): the delay is back to `restartDelay` once none is that recent. */
  failureWindow?: number;
}

/**
 * Runs an app on several cores with `node:cluster`: the workers share the port `start` listens on
 * (the primary hands out the connections). Called in the primary, it forks the workers and
 * watches them; in a worker, it runs `start`.
 *
 * - The first worker starts alone, the others once it listens: what a start-up creates (a schema,
 *   migrations) is not created by several processes at once.
 * - Until every worker has listened once, one that dies before it listened failed to start (bad
 *   configuration): the primary stops every worker and exits with 1, rather than restarting it in
 *   a loop. After that, a worker that ends (crashed, or a replacement that could not start while
 *   the database was briefly unreachable) is restarted after a delay doubling from `restartDelay`
 *   to `maxRestartDelay`; `maxFailures` within `failureWindow` stop everything (exit 1).
 * - SIGTERM or SIGINT to the primary is passed to every worker as SIGTERM; the primary exits once
 *   they all have, with 0 if each ended cleanly (code 0, or the signal), else 1; it kills those
 *   still running after `shutdownTimeout` (exit 1). The app must end on SIGTERM
 *   (`app.enableShutdownHooks()` in Nest).
 *
 * The embedded hub must use the Redis transport: a subscriber's connection lands on any worker,
 * and only a transport shared by the workers brings it the updates published on the others (the
 * memory transport refuses to start in a worker forked here).
 */
export function runClustered(start: () => Promise<unknown>, options: RunClusteredOptions = {}): void {
  if (cluster.isPrimary) {
    new ClusterPrimary(options).run();
    return;
  }
  start().catch((error) => {
    new Logger('MercureCluster').error(`Worker ${process.pid} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

class ClusterPrimary {
  private readonly logger = new Logger('MercureCluster');
  private readonly workers: number;
  private readonly shutdownTimeout: number;
  private readonly failureWindow: number;
  private readonly backoff: RestartBackoff;
  private readonly listening = new Set<number>();
  private readonly restarts = new Set<NodeJS.Timeout>();
  /** Every worker has listened once: from then on, a failure is restarted rather than fatal. */
  private allStarted = false;
  private stopping = false;
  private exitCode = 0;

  constructor(options: RunClusteredOptions) {
    this.workers = positive(options.workers ?? availableParallelism(), 'workers');
    this.shutdownTimeout = positive(options.shutdownTimeout ?? 30_000, 'shutdownTimeout');
    const restartDelay = positive(options.restartDelay ?? 1000, 'restartDelay');
    const maxRestartDelay = positive(options.maxRestartDelay ?? 30_000, 'maxRestartDelay');
    const maxFailures = positive(options.maxFailures ?? 10, 'maxFailures');
    this.failureWindow = positive(options.failureWindow ?? 300_000, 'failureWindow');
    this.backoff = new RestartBackoff(restartDelay, maxRestartDelay, maxFailures, this.failureWindow);
  }

  run(): void {
    let first = true;
    cluster.on('listening', (worker) => {
      this.listening.add(worker.id);
      if (!this.allStarted && this.listening.size >= this.workers) {
        this.allStarted = true;
        this.logger.log(`All ${this.workers} workers listening`);
      }
      if (!first || this.stopping) return;
      first = false;
      for (let i = 1; i < this.workers; i++) this.fork();
    });
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.stop(signal));
    this.logger.log(`Primary ${process.pid} starting ${this.workers} workers`);
    // The first alone: what its start-up creates (schema, migrations) the others then find done.
    this.fork();
  }

  private fork(): void {
    cluster.fork({ [RUN_CLUSTERED_ENV]: '1' });
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const started = this.listening.delete(worker.id);
    if (this.stopping) {
      // Ended by our SIGTERM (or the terminal's SIGINT) or cleanly; anything else is a failed shutdown.
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
        this.logger.error(`Worker ${worker.process.pid} exited (${how}) while stopping`);
        this.exitCode = 1;
      }
      this.exitWhenAllEnded();
      return;
    }
    if (!started && !this.allStarted) {
      this.logger.error(`Worker ${worker.process.pid} exited (${how}) before it listened: stopping`);
      this.exitCode = 1;
      this.stop('start-up failure');
      return;
    }
    const what = `Worker ${worker.process.pid} exited (${how}${started ? '' : ' before it listened'})`;
    const delay = this.backoff.fail();
    if (delay === undefined) {
      this.logger.error(`${what}: ${this.backoff.recentFailures} worker failures within ${this.failureWindow} ms, stopping`);
      this.exitCode = 1;
      this.stop('too many worker failures');
      return;
    }
    this.logger.warn(`${what}: starting another in ${delay} ms`);
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      this.fork();
    }, delay);
    this.restarts.add(timer);
  }

  private exitWhenAllEnded(): void {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(this.exitCode);
  }

  private stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker);
    if (running.length === 0) process.exit(this.exitCode);
    this.logger.log(`Stopping ${running.length} workers (${reason})`);
    for (const worker of running) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        this.logger.error(`Worker ${worker?.process.pid} still running after ${this.shutdownTimeout} ms: killed`);
        worker?.process.kill('SIGKILL');
      }
      this.exitCode = 1;
    }, this.shutdownTimeout).unref();
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`runClustered: ${name} must be a positive integer`);
  return value;
}
