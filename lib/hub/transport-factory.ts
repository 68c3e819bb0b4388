import cluster from 'cluster';
import { isRunClusteredWorker } from '../cluster/cluster-marker';
import { REDIS_TRANSPORT_KEYS, rejectUnknownKeys } from './hub-config';
import type { MercureHubLogger } from './hub-logger';
import type { HubTransport } from './hub-transport';
import { MemoryHubTransport } from './memory-transport';
import { MercureHubConfigError, MercureHubModuleOptions } from './mercure-hub.options';

/** Once per process: several hubs in one worker need not repeat it. */
let warnedClusterWorker = false;

/** The transport the `transport` option names: memory (default), Redis, or one given as is. */
export function createTransport(
  option: MercureHubModuleOptions['transport'],
  historySize: number,
  logger: MercureHubLogger,
): HubTransport {
  if (option === undefined || option === 'memory') {
    // Workers share the port: a subscriber on another worker would never get this worker's updates.
    if (cluster.isWorker && isRunClusteredWorker()) {
      throw new MercureHubConfigError(
        "transport: this process is a runClustered worker, and the memory transport keeps updates to this worker's subscribers; " +
          "use transport: { type: 'redis', url } so that every worker forms one hub",
      );
    }
    // Other cluster managers (PM2's cluster mode) may run one instance: a warning, not a refusal.
    if (cluster.isWorker && !warnedClusterWorker) {
      warnedClusterWorker = true;
      logger.warn(
        "This process is a cluster worker (PM2 cluster mode?) using the memory transport: if other workers share the port, " +
          "their subscribers miss this worker's updates; use transport: { type: 'redis', url } with more than one instance",
      );
    }
    return new MemoryHubTransport(historySize);
  }
  if (typeof option === 'object' && option !== null && (option as { type?: unknown }).type === 'redis') {
    rejectUnknownKeys(option, REDIS_TRANSPORT_KEYS, 'transport.');
    // Loaded on demand: ioredis is an optional peer dependency.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RedisHubTransport } = require('./redis-transport') as typeof import('./redis-transport');
    return new RedisHubTransport({ ...(option as object), historySize, logger } as never);
  }
  if (
    typeof option === 'object' &&
    option !== null &&
    typeof (option as HubTransport).start === 'function' &&
    typeof (option as HubTransport).dispatch === 'function'
  ) {
    return option as HubTransport;
  }
  throw new MercureHubConfigError(`transport must be 'memory', { type: 'redis', ... } or a HubTransport`);
}
