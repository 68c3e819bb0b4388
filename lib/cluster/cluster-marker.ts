/**
 * Set in the environment of the workers `runClustered` forks, so that the hub knows the port is
 * shared by workers it cannot see (other `node:cluster` users, PM2 among them, do not set it).
 */
export const RUN_CLUSTERED_ENV = 'NESTJS_MERCURE_CLUSTER';

/** Whether this process is a worker forked by `runClustered`. */
export function isRunClusteredWorker(): boolean {
  return process.env[RUN_CLUSTERED_ENV] === '1';
}
