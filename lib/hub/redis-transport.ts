import { randomUUID } from 'crypto';
import type { Redis } from 'ioredis';
import { EARLIEST, HubHistory, HubTransport, HubTransportListener, SubscriptionInfo } from './hub-transport';
import type { HubUpdate } from './hub-update';
import type { MercureHubLogger } from './hub-logger';
import { MercureHubConfigError } from './mercure-hub.options';

export interface RedisHubTransportOptions {
  /** `redis://` URL; the transport opens and closes its own connections. */
  url?: string;
  /** An existing client: used for commands and duplicated for the blocking reads; not closed. */
  client?: Redis;
  /** Key prefix shared by the instances forming one hub (default `mercure:`). */
  prefix?: string;
  /** Updates kept for replay (0 disables replay). */
  historySize?: number;
  /** How long one blocking read waits before it is issued again, in ms (default 5000). */
  blockTimeout?: number;
  /** How long `start` waits for Redis before failing, in ms (default 5000). */
  connectTimeout?: number;
  /**
   * Seconds an update id stays known to every instance, so that a publish repeating it on any
   * instance (a retry) is not delivered again (default 600; 0: only each instance's recent ids).
   */
  idTtl?: number;
  logger?: MercureHubLogger;
}

/** Entries always kept in the stream, so that an instance lagging behind a burst loses nothing. */
const MIN_STREAM_LENGTH = 1000;
const SCAN_PAGE = 500;
const REGISTRY_TTL_SECONDS = 60;
const DEFAULT_ID_TTL_SECONDS = 600;

/**
 * Appends an update unless its id is already known, in one atomic step. The id's key is checked
 * first and set only after `XADD` succeeded: a script is not rolled back, so a key set before a
 * failing `XADD` (a wrong type, out of memory) would claim an id never appended, and answer every
 * retry "already published". KEYS: stream, id key; ARGV: TTL (s), MAXLEN, then the entry's fields.
 * Returns the entry id, or false for a repeated id.
 */
const APPEND_ONCE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local entry = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return entry
`;
/** The client method running `APPEND_ONCE`: ioredis sends it by SHA (`EVALSHA`), its text only once. */
const APPEND_ONCE_COMMAND = 'mercureHubAppendOnce';
type AppendOnce = (stream: string, idKey: string, ttl: number, maxLength: number, ...fields: string[]) => Promise<string | null>;

/**
 * Redis transport: several app instances sharing a Redis (and a prefix) form one hub.
 *
 * Every update is appended to one stream (`XADD ... MAXLEN ~`), which is both the history and the
 * fan-out: each instance follows the stream with blocking `XREAD`s on a dedicated connection and
 * hands the entries, in stream order, to its own subscribers. The stream entry ids are the
 * transport's cursor, so a replay from any instance joins the live flow without gap or duplicate.
 *
 * With `subscriptions` enabled, the active subscriptions of each instance are kept in a hash that
 * expires unless the instance keeps refreshing it, so the subscriptions API lists every instance's.
 *
 * One Redis node (replicas allowed), not Redis Cluster: the append script touches two keys in
 * different slots, and the subscriptions are listed by SCAN, which sees one node's keys.
 */
export class RedisHubTransport implements HubTransport {
  private readonly prefix: string;
  private readonly streamKey: string;
  private readonly registryKey: string;
  private readonly historySize: number;
  private readonly blockTimeout: number;
  private readonly logger?: MercureHubLogger;
  private readonly ownsClient: boolean;
  private readonly options: RedisHubTransportOptions;
  private commands?: Redis;
  private reader?: Redis;
  private listener?: HubTransportListener;
  private position = '0-0';
  private lastId = EARLIEST;
  private closed = false;
  private reading?: Promise<void>;
  private registryTimer?: NodeJS.Timeout;
  private registrySize = 0;
  private catchUpWaiters: { target: string; resolve: () => void }[] = [];
  private readonly connectTimeout: number;
  private readonly idTtl: number;
  private started = false;

  constructor(options: RedisHubTransportOptions) {
    if (!options.url && !options.client) {
      throw new MercureHubConfigError('transport: the Redis transport needs a "url" or a "client"');
    }
    if (options.url !== undefined && !/^rediss?:\/\//.test(options.url)) {
      throw new MercureHubConfigError('transport.url must be a redis:// or rediss:// URL');
    }
    this.options = options;
    this.prefix = options.prefix ?? 'mercure:';
    if (typeof this.prefix !== 'string') throw new MercureHubConfigError('transport.prefix must be a string');
    this.streamKey = `${this.prefix}updates`;
    this.registryKey = `${this.prefix}subscriptions:${randomUUID()}`;
    this.historySize = options.historySize ?? 1000;
    this.blockTimeout = options.blockTimeout ?? 5000;
    this.connectTimeout = options.connectTimeout ?? 5000;
    if (!Number.isInteger(this.connectTimeout) || this.connectTimeout <= 0) {
      throw new MercureHubConfigError('transport.connectTimeout must be a positive integer (milliseconds)');
    }
    this.idTtl = options.idTtl ?? DEFAULT_ID_TTL_SECONDS;
    if (!Number.isInteger(this.idTtl) || this.idTtl < 0) {
      throw new MercureHubConfigError('transport.idTtl must be a non-negative integer (seconds)');
    }
    this.logger = options.logger;
    this.ownsClient = !options.client;
  }

  /**
   * Connects and reads the stream's position, within `connectTimeout`: an unreachable Redis fails
   * the start-up quickly with an error naming the option (never the URL, which may hold a password).
   */
  async start(listener: HubTransportListener): Promise<void> {
    this.listener = listener;
    const option = this.options.client ? 'transport.client' : 'transport.url';
    let startError: Error | undefined;
    if (this.options.client) {
      this.commands = this.options.client;
    } else {
      const RedisClient = loadIoredis();
      this.commands = new RedisClient(this.options.url!, {
        lazyConnect: true,
        connectTimeout: this.connectTimeout,
        // No retries while starting (the start-up fails instead); ioredis's backoff afterwards.
        retryStrategy: (times: number) => (this.started ? Math.min(times * 100, 2000) : null),
      });
      this.commands.on('error', (error: Error) => {
        if (this.started) this.logger?.warn(`Redis: ${error.message}`);
        else startError ??= error; // ioredis then rejects with a vaguer "Connection is closed"
      });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.connectTimeout} ms`)), this.connectTimeout);
        }),
      ]);
    } catch (error) {
      if (this.ownsClient) this.commands.disconnect();
      this.commands = undefined;
      throw new Error(`MercureHubModule: the Redis transport could not reach Redis (${option}): ${reasonOf(startError ?? error)}`);
    } finally {
      clearTimeout(timer);
    }
    this.started = true;
    this.commands.defineCommand(APPEND_ONCE_COMMAND, { numberOfKeys: 2, lua: APPEND_ONCE });
    this.reader = this.commands.duplicate();
    this.reader.on('error', (error: Error) => this.logger?.warn(`Redis (reader): ${error.message}`));
    this.reading = this.readLoop();
  }

  private async connect(): Promise<void> {
    const commands = this.commands!;
    if (this.ownsClient) await commands.connect();
    const last = await commands.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    if (last.length > 0) {
      this.position = last[0][0];
      this.lastId = decode(last[0][1])?.id ?? EARLIEST;
    }
  }

  /** Resolves `false` when the id was published (on any instance) within `idTtl`: not appended again. */
  async dispatch(update: HubUpdate): Promise<void | false> {
    if (this.closed || !this.commands) throw new Error('The hub transport is closed');
    const maxLength = Math.max(this.historySize, MIN_STREAM_LENGTH);
    if (this.idTtl === 0) {
      await this.commands.xadd(this.streamKey, 'MAXLEN', '~', maxLength, '*', ...encode(update));
      return;
    }
    const idKey = `${this.prefix}id:${update.id}`;
    const appendOnce = (this.commands as unknown as Record<string, AppendOnce>)[APPEND_ONCE_COMMAND];
    const appended = await appendOnce.call(this.commands, this.streamKey, idKey, this.idTtl, maxLength, ...encode(update));
    if (appended === null) return false;
  }

  cursor(): string {
    return this.position;
  }

  async catchUp(): Promise<void> {
    if (this.closed || !this.commands) return;
    const last = await this.commands.xrevrange(this.streamKey, '+', '-', 'COUNT', 1);
    if (last.length === 0 || compareEntryIds(this.position, last[0][0]) >= 0) return;
    const target = last[0][0];
    await new Promise<void>((resolve) => {
      // Bounded: a broken reader must not hold subscribers forever (they then replay what is here).
      const timer = setTimeout(done, this.blockTimeout);
      timer.unref();
      const waiter = { target, resolve: done };
      this.catchUpWaiters.push(waiter);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  lastEventId(): string {
    return this.lastId;
  }

  async history(lastEventId: string, until: string): Promise<HubHistory> {
    if (this.historySize === 0 || !this.commands) return { updates: [], precedingId: EARLIEST };
    const found: HubUpdate[] = [];
    let end = until;
    let first = true;
    // Newest first, so a recent id (the usual case) is found in the first page.
    while (found.length < this.historySize) {
      const count = Math.min(SCAN_PAGE, this.historySize - found.length);
      const page = await this.commands.xrevrange(this.streamKey, first ? end : `(${end}`, '-', 'COUNT', count);
      first = false;
      for (const [, fields] of page) {
        const update = decode(fields);
        if (!update) continue;
        if (lastEventId !== EARLIEST && update.id === lastEventId) {
          return { updates: found.reverse(), precedingId: lastEventId };
        }
        found.push(update);
      }
      if (page.length < count) break;
      end = page[page.length - 1][0];
    }
    if (lastEventId === EARLIEST) return { updates: found.reverse(), precedingId: EARLIEST };
    return { updates: [], precedingId: EARLIEST };
  }

  async addSubscriptions(subscriptions: readonly SubscriptionInfo[]): Promise<void> {
    if (this.closed || !this.commands || subscriptions.length === 0) return;
    const args: string[] = [];
    for (const s of subscriptions) args.push(s.id, JSON.stringify(s));
    this.registrySize += subscriptions.length;
    await this.commands.multi().hset(this.registryKey, ...args).expire(this.registryKey, REGISTRY_TTL_SECONDS).exec();
    if (!this.registryTimer) {
      this.registryTimer = setInterval(() => {
        if (this.registrySize > 0) {
          this.commands?.expire(this.registryKey, REGISTRY_TTL_SECONDS).catch(() => undefined);
        }
      }, (REGISTRY_TTL_SECONDS * 1000) / 3);
      this.registryTimer.unref();
    }
  }

  async removeSubscriptions(subscriptions: readonly SubscriptionInfo[]): Promise<void> {
    if (this.closed || !this.commands || subscriptions.length === 0) return;
    this.registrySize = Math.max(0, this.registrySize - subscriptions.length);
    await this.commands.hdel(this.registryKey, ...subscriptions.map((s) => s.id));
  }

  async listSubscriptions(): Promise<SubscriptionInfo[]> {
    if (!this.commands) return [];
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}subscriptions:*`;
    const result: SubscriptionInfo[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.commands.scan(cursor, 'MATCH', pattern, 'COUNT', 100);
      cursor = next;
      for (const key of keys) {
        for (const value of await this.commands.hvals(key)) {
          try {
            result.push(JSON.parse(value) as SubscriptionInfo);
          } catch {
            // not ours
          }
        }
      }
    } while (cursor !== '0');
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener = undefined;
    if (this.registryTimer) clearInterval(this.registryTimer);
    for (const waiter of this.catchUpWaiters.splice(0)) waiter.resolve();
    this.reader?.disconnect();
    await this.reading;
    if (this.commands) {
      await this.commands.del(this.registryKey).catch(() => undefined);
      if (this.ownsClient) await this.commands.quit().catch(() => this.commands?.disconnect());
    }
  }

  private async readLoop(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      let result: [string, [string, string[]][]][] | null;
      try {
        result = (await this.reader!.xread(
          'COUNT',
          1000,
          'BLOCK',
          this.blockTimeout,
          'STREAMS',
          this.streamKey,
          this.position,
        )) as [string, [string, string[]][]][] | null;
        failures = 0;
      } catch (error) {
        if (this.closed) break;
        failures++;
        this.logger?.warn(`Redis transport: reading updates failed (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5000)));
        continue;
      }
      if (!result) continue;
      for (const [, entries] of result) {
        for (const [entryId, fields] of entries) {
          this.position = entryId;
          const update = decode(fields);
          if (!update) continue;
          this.lastId = update.id;
          try {
            this.listener?.(update);
          } catch (error) {
            this.logger?.error(`Dispatching an update failed: ${(error as Error).message}`, (error as Error).stack);
          }
        }
      }
      if (this.catchUpWaiters.length > 0) {
        this.catchUpWaiters = this.catchUpWaiters.filter((waiter) => {
          if (compareEntryIds(this.position, waiter.target) < 0) return true;
          waiter.resolve();
          return false;
        });
      }
    }
  }
}

/** ioredis, an optional peer dependency: a clear error when it is not installed. */
function loadIoredis(): typeof import('ioredis').Redis {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('ioredis') as typeof import('ioredis')).Redis;
  } catch (error) {
    if ((error as { code?: string })?.code === 'MODULE_NOT_FOUND') {
      throw new MercureHubConfigError(
        'transport: the Redis transport needs the ioredis package; install it with `npm install ioredis`',
      );
    }
    throw error;
  }
}

/** Why Redis could not be reached: an error code or a fixed text, never the URL. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Z_]{2,32}$/.test(code)) return code;
  const message = (error as Error)?.message ?? '';
  if (message.startsWith('no answer within')) return message;
  if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) return 'authentication failed';
  return 'connection failed';
}

/** Orders two stream entry ids (`<ms>-<seq>`). */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}

function encode(update: HubUpdate): string[] {
  const fields = ['i', update.id, 't', JSON.stringify(update.topics), 'd', update.data];
  if (update.private) fields.push('p', '1');
  if (update.type !== undefined) fields.push('e', update.type);
  if (update.retry !== undefined) fields.push('r', String(update.retry));
  return fields;
}

function decode(fields: string[]): HubUpdate | undefined {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  if (map.i === undefined || map.t === undefined) return undefined;
  let topics: unknown;
  try {
    topics = JSON.parse(map.t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(topics)) return undefined;
  return {
    id: map.i,
    topics: topics as string[],
    data: map.d ?? '',
    private: map.p === '1',
    ...(map.e !== undefined && { type: map.e }),
    ...(map.r !== undefined && { retry: Number(map.r) }),
  };
}
