import { availableParallelism } from 'os';

/** The sample app's settings, read from the environment (see the README for the contract). */
export interface SampleAppConfig {
  port: number;
  publicUrl: string;
  /** PostgreSQL URL; when absent, SQLite at `sqlitePath`. */
  databaseUrl?: string;
  sqlitePath: string;
  /** External hub; when absent, the embedded hub serves `/.well-known/mercure`. */
  mercurePublishUrl?: string;
  mercureSubscribeUrl?: string;
  mercureJwtSecret: string;
  mercureJwtToken?: string;
  /** Mercure versions the hub speaks: `both` (default), `0.x` or `1.0`. */
  mercureHubProtocol: '0.x' | '1.0' | 'both';
  /** The `iss` 1.0 access tokens carry (default: `publicUrl`). */
  mercureHubIssuer: string;
  /** The hub's resource identifier, in the `aud` of 1.0 access tokens (default: the hub's public URL). */
  mercureHubAudience: string;
  /** `outbox` (default): updates go through the transactional outbox; `memory`: the in-process queue. */
  mercureDelivery: 'outbox' | 'memory';
  /** Seconds a subscriber token (the `mercureAuthorization` cookie) lasts; pages renew it before. */
  subscriberTokenLifetime: number;
  /** The embedded hub's Redis transport (instances sharing it form one hub); unset: memory. */
  mercureHubRedisUrl?: string;
  /** Prefix of the hub's Redis keys (default `mercure:`). */
  mercureHubRedisPrefix?: string;
  /** Processes serving the port (`node:cluster`); 1 (default): this process alone. */
  workers: number;
}

export const DEV_JWT_SECRET = '!ChangeThisMercureHubJWTSecretKey!';

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SampleAppConfig {
  const rawPort = value(env, 'PORT') ?? '3000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${rawPort}"`);
  }
  const databaseUrl = value(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL (SQLite is configured with SQLITE_PATH)');
  }
  const delivery = value(env, 'MERCURE_DELIVERY') ?? 'outbox';
  if (delivery !== 'outbox' && delivery !== 'memory') {
    throw new Error(`MERCURE_DELIVERY must be "outbox" or "memory", got "${delivery}"`);
  }
  const protocol = value(env, 'MERCURE_HUB_PROTOCOL') ?? 'both';
  if (protocol !== '0.x' && protocol !== '1.0' && protocol !== 'both') {
    throw new Error(`MERCURE_HUB_PROTOCOL must be "0.x", "1.0" or "both", got "${protocol}"`);
  }
  const publicUrl = (value(env, 'PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const publishUrl = value(env, 'MERCURE_PUBLISH_URL');
  const subscribeUrl = value(env, 'MERCURE_SUBSCRIBE_URL');
  // The embedded hub is served under PUBLIC_URL, path included (as discovery advertises it).
  const hubPublicUrl = new URL(subscribeUrl ?? publishUrl ?? `${publicUrl}/.well-known/mercure`, publicUrl + '/').toString();
  return {
    port,
    publicUrl,
    databaseUrl,
    sqlitePath: value(env, 'SQLITE_PATH') ?? 'sample-app/var/sample.sqlite',
    mercurePublishUrl: publishUrl,
    mercureSubscribeUrl: subscribeUrl,
    mercureHubProtocol: protocol,
    mercureHubIssuer: value(env, 'MERCURE_HUB_ISSUER') ?? publicUrl,
    mercureHubAudience: value(env, 'MERCURE_HUB_AUDIENCE') ?? hubPublicUrl,
    mercureJwtSecret: value(env, 'MERCURE_JWT_SECRET') ?? DEV_JWT_SECRET,
    mercureJwtToken: value(env, 'MERCURE_JWT_TOKEN'),
    mercureDelivery: delivery,
    subscriberTokenLifetime: positiveInteger(env, 'SUBSCRIBER_TOKEN_LIFETIME', 3600),
    ...clusterConfig(env, { databaseUrl, embeddedHub: !publishUrl }),
  };
}

/**
 * `CLUSTER_WORKERS` (a count, or `max` for every core) and what running on several workers needs:
 * one database they all share (PostgreSQL; a SQLite file is not meant for several writing
 * processes, and `:memory:` would be one database per worker), and, for the embedded hub, the Redis
 * transport (a subscriber's connection may land on any worker).
 */
function clusterConfig(env: NodeJS.ProcessEnv, app: { databaseUrl?: string; embeddedHub: boolean }) {
  const redisUrl = value(env, 'MERCURE_HUB_REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new Error('MERCURE_HUB_REDIS_URL must be a redis:// or rediss:// URL');
  const raw = value(env, 'CLUSTER_WORKERS') ?? '1';
  if (raw !== 'max' && !/^[1-9]\d{0,3}$/.test(raw)) throw new Error(`CLUSTER_WORKERS must be a positive integer or "max", got "${raw}"`);
  const workers = raw === 'max' ? availableParallelism() : Number(raw);
  if (workers > 1 && !app.databaseUrl) {
    throw new Error('CLUSTER_WORKERS > 1 needs DATABASE_URL (PostgreSQL): the workers must share one database');
  }
  if (workers > 1 && app.embeddedHub && !redisUrl) {
    throw new Error('CLUSTER_WORKERS > 1 needs MERCURE_HUB_REDIS_URL: the embedded hub of every worker must share updates through Redis');
  }
  return { mercureHubRedisUrl: redisUrl, mercureHubRedisPrefix: value(env, 'MERCURE_HUB_REDIS_PREFIX'), workers };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw new Error(`${name} must be a positive integer (seconds), got "${raw}"`);
  return Number(raw);
}
