import cluster, { type Worker } from 'cluster';
import { availableParallelism } from 'os';
import { Logger } from '@nestjs/common';

export interface RunClusteredOptions {
  /** Worker processes; default `os.availableParallelism()`. */
  workers?: number;
  /**
   * Milliseconds the primary waits, after SIGTERM or SIGINT, for every worker to end before it
   * kills the rest with SIGKILL (default 30000). Keep it above the app's own shutdown bounds.
   */
  shutdownTimeout?: number;
}

/**
 * Runs an app on several cores with `node:cluster`: the workers share the port `start` listens on
 * (the primary hands out the connections). Called in the primary, it forks the workers and
 * watches them; in a worker, it runs `start`.
 *
 * - The first worker starts alone, the others once it listens: what a start-up creates (a schema,
 *   migrations) is not created by several processes at once.
 * - A worker that dies after it listened is replaced. One that dies before it ever listened
 *   failed to start (bad configuration, unreachable database): the primary then stops every worker
 *   and exits with 1, rather than restarting it in a loop.
 * - SIGTERM or SIGINT to the primary is passed to every worker as SIGTERM; the primary exits once
 *   they all have (0), or kills those still running after `shutdownTimeout` (exit 1). The app
 *   must end on SIGTERM (`app.enableShutdownHooks()` in Nest).
 *
 * The embedded hub must use the Redis transport: a subscriber's connection lands on any worker,
 * and only a transport shared by the workers brings it the updates published on the others (the
 * memory transport refuses to start in a cluster worker).
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
  private readonly listening = new Set<number>();
  private stopping = false;
  private exitCode = 0;

  constructor(options: RunClusteredOptions) {
    this.workers = options.workers ?? availableParallelism();
    this.shutdownTimeout = options.shutdownTimeout ?? 30_000;
    if (!Number.isInteger(this.workers) || this.workers < 1) throw new Error('runClustered: workers must be a positive integer');
    if (!Number.isInteger(this.shutdownTimeout) || this.shutdownTimeout <= 0) {
      throw new Error('runClustered: shutdownTimeout must be a positive integer (milliseconds)');
    }
  }

  run(): void {
    let first = true;
    cluster.on('listening', (worker) => {
      this.listening.add(worker.id);
      if (!first || this.stopping) return;
      first = false;
      for (let i = 1; i < this.workers; i++) cluster.fork();
    });
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.stop(signal));
    this.logger.log(`Primary ${process.pid} starting ${this.workers} workers`);
    // The first alone: what its start-up creates (schema, migrations) the others then find done.
    cluster.fork();
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const started = this.listening.delete(worker.id);
    if (this.stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(this.exitCode);
      return;
    }
    if (!started) {
      this.logger.error(`Worker ${worker.process.pid} exited (${how}) before it listened: stopping`);
      this.exitCode = 1;
      this.stop('start-up failure');
      return;
    }
    this.logger.warn(`Worker ${worker.process.pid} exited (${how}): starting another`);
    cluster.fork();
  }

  private stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
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
