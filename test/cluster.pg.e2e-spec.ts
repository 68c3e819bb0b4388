import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { join } from 'path';
import Redis from 'ioredis';
import { createPostgresDatabase, POSTGRES_URL, REDIS_URL } from './support/databases';
import { freePort } from './support/fake-hub';
import { SampleAppProcess, spawnSampleApp } from './support/sample-app-process';
import { publish, request, subscribeUrl } from './hub/helpers';
import { SseConnection, subscribe } from './hub/sse-client';

const PUBLIC_URL = 'http://books.test';
const BOOKS = `${PUBLIC_URL}/books/{id}`;
const WORKER_PID = join(__dirname, 'support/worker-pid-header.js');

const pidOf = (headers: Record<string, unknown>) => Number(headers['x-worker-pid']);
const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Asks until `done` says yes, or fails after `timeoutMs`. */
async function poll(done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Subscribes `count` times (each on a new connection, so the primary spreads them over the workers). */
async function subscribers(url: string, count: number, headers: Record<string, string> = {}): Promise<SseConnection[]> {
  const connections: SseConnection[] = [];
  for (let i = 0; i < count; i++) connections.push(await subscribe(url, headers));
  return connections;
}

const services = POSTGRES_URL && REDIS_URL ? describe : describe.skip;
if (!POSTGRES_URL || !REDIS_URL) {
  console.log('cluster.pg.e2e-spec: the sample app on 2 workers needs TEST_POSTGRES_URL and TEST_REDIS_URL: skipped');
}

/**
 * The sample app with CLUSTER_WORKERS=2 (node:cluster, one port) as a real child process, on
 * PostgreSQL and the hub's Redis transport. Each response says which worker answered (a header
 * preloaded by this test only), so the test knows where each connection landed.
 */
services('the sample app on 2 workers behind one port (PostgreSQL, Redis)', () => {
  const prefix = `mercure_cluster_${randomBytes(4).toString('hex')}:`;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let app: SampleAppProcess;
  let hubUrl: string;
  const workers = new Set<number>();
  const open: SseConnection[] = [];

  const write = async (method: string, path: string, body?: object) => {
    const result = await request(`${app.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    if (result.status >= 300) throw new Error(`${method} ${path}: ${result.status} ${result.body}`);
    return { pid: pidOf(result.headers), body: result.body ? JSON.parse(result.body) : undefined };
  };

  beforeAll(async () => {
    database = await createPostgresDatabase('mercure_cluster');
    const env = {
      CLUSTER_WORKERS: '2',
      DATABASE_URL: database.url,
      MERCURE_HUB_REDIS_URL: REDIS_URL!,
      MERCURE_HUB_REDIS_PREFIX: prefix,
      PUBLIC_URL,
    };
    app = await spawnSampleApp(await freePort(), env, 90_000, [WORKER_PID]);
    hubUrl = `${app.url}/.well-known/mercure`;
    // The second worker starts once the first listens.
    await poll(async () => {
      workers.add(pidOf((await request(`${app.url}/books`)).headers));
      return workers.size === 2;
    }, 60_000, 'the second worker');
  }, 120_000);

  afterAll(async () => {
    for (const sse of open) sse.close();
    await app?.kill('SIGKILL');
    await database?.drop();
    const redis = new Redis(REDIS_URL!);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  let firstId: string;
  let liveIds: string[];

  it('delivers each update once, in order, to subscribers on every worker, whichever worker wrote it', async () => {
    const live = await subscribers(subscribeUrl(hubUrl, [BOOKS]), 6);
    open.push(...live);
    expect(new Set(live.map((sse) => pidOf(sse.headers)))).toEqual(workers);

    const writers = new Set<number>();
    const created = await write('POST', '/books', { title: 't0', author: 'A' });
    writers.add(created.pid);
    const path = created.body['@id'];
    for (let i = 1; i <= 4; i++) writers.add((await write('PATCH', path, { title: `t${i}` })).pid);
    writers.add((await write('DELETE', path)).pid);
    expect(writers).toEqual(workers);

    const expected = ['t0', 't1', 't2', 't3', 't4', 'deleted'];
    const received = await Promise.all(live.map((sse) => sse.events(6)));
    for (const events of received) {
      expect(events.map((e) => JSON.parse(e.data).title ?? 'deleted')).toEqual(expected);
      expect(events.map((e) => e.id)).toEqual(received[0].map((e) => e.id));
    }
    firstId = received[0][0].id!;
    liveIds = received[0].map((e) => e.id!);
  }, 60_000);

  it('replays from Last-Event-ID on either worker', async () => {
    const replaying = await subscribers(subscribeUrl(hubUrl, [BOOKS]), 4, { 'Last-Event-ID': firstId });
    open.push(...replaying);
    expect(new Set(replaying.map((sse) => pidOf(sse.headers)))).toEqual(workers);
    for (const sse of replaying) {
      expect(sse.headers['last-event-id']).toBe(firstId);
      expect((await sse.events(5)).map((e) => e.id)).toEqual(liveIds.slice(1));
    }
  }, 30_000);

  it('delivers an update id published again through the other worker once', async () => {
    const topic = 'urn:cluster:repeat';
    const live = await subscribers(subscribeUrl(hubUrl, [topic]), 2);
    open.push(...live);
    expect(new Set(live.map((sse) => pidOf(sse.headers)))).toEqual(workers);
    const through = new Set<number>();
    while (through.size < 2) {
      const result = await publish(hubUrl, { topic, data: 'once', id: 'urn:cluster:repeat:1' });
      expect([result.status, result.body]).toEqual([200, 'urn:cluster:repeat:1']);
      through.add(pidOf(result.headers));
    }
    expect((await publish(hubUrl, { topic, data: 'last', id: 'urn:cluster:last' })).status).toBe(200);
    for (const sse of live) {
      expect((await sse.events(2)).map((e) => [e.id, e.data])).toEqual([
        ['urn:cluster:repeat:1', 'once'],
        ['urn:cluster:last', 'last'],
      ]);
    }
  }, 30_000);

  it('replaces a worker that dies', async () => {
    const [victim] = workers;
    process.kill(victim, 'SIGKILL');
    await poll(async () => {
      const pid = pidOf((await request(`${app.url}/books`)).headers);
      if (!workers.has(pid)) workers.add(pid);
      return workers.size === 3;
    }, 60_000, 'a new worker');
    workers.delete(victim);
    expect(isRunning(victim)).toBe(false);
    expect(app.child.exitCode).toBeNull();
  }, 70_000);

  it('SIGTERM to the primary ends every worker, streams included, and the primary exits with 0', async () => {
    const live = await subscribers(subscribeUrl(hubUrl, [BOOKS]), 4);
    open.push(...live);
    expect(new Set(live.map((sse) => pidOf(sse.headers)))).toEqual(workers);
    expect(await app.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    await Promise.all(live.map((sse) => sse.ended));
    for (const pid of workers) expect(isRunning(pid)).toBe(false);
    expect(app.output()).toContain('Stopping 2 workers (SIGTERM)');
  }, 40_000);
});

describe('running on several workers: what is refused', () => {
  /** Runs the fixture: a primary forking one worker that builds two hubs on the memory transport. */
  async function memoryHubInWorker(how: 'runClustered' | 'other'): Promise<string> {
    const fixture = join(__dirname, 'fixtures/memory-hub-in-cluster-worker.ts');
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', fixture, how], {
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '../tsconfig.json') },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => child.once('exit', resolve));
    return output;
  }

  it('a runClustered worker refuses the memory transport, with the reason', async () => {
    const output = await memoryHubInWorker('runClustered');
    expect(output).toContain('MercureHubConfigError: transport: this process is a runClustered worker');
    expect(output).toContain("transport: { type: 'redis', url }");
  }, 30_000);

  it('another cluster worker (PM2 cluster mode) starts the memory transport, warning once', async () => {
    const output = await memoryHubInWorker('other');
    expect(output).toContain('started');
    expect(output.match(/cluster worker \(PM2 cluster mode\?\) using the memory transport/g)).toHaveLength(1);
    expect(output).toContain("use transport: { type: 'redis', url } with more than one instance");
  }, 30_000);

  it('the sample app refuses CLUSTER_WORKERS > 1 without a shared database or the hub on Redis', async () => {
    const port = await freePort();
    const database = 'postgresql://postgres@127.0.0.1:1/unused';
    await expect(spawnSampleApp(port, { CLUSTER_WORKERS: '2', SQLITE_PATH: ':memory:' })).rejects.toThrow(
      'CLUSTER_WORKERS > 1 needs DATABASE_URL (PostgreSQL)',
    );
    await expect(spawnSampleApp(port, { CLUSTER_WORKERS: '2', DATABASE_URL: database })).rejects.toThrow(
      'CLUSTER_WORKERS > 1 needs MERCURE_HUB_REDIS_URL',
    );
  }, 60_000);

  it('stops the cluster (exit 1) when a worker cannot start, rather than restarting it forever', async () => {
    const env = {
      CLUSTER_WORKERS: '2',
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/unused',
      MERCURE_HUB_REDIS_URL: 'redis://127.0.0.1:1',
    };
    const error = await spawnSampleApp(await freePort(), env).catch((e: Error) => e);
    expect(String(error)).toContain('sample app exited at start-up');
    expect(String(error)).toMatch(/Worker \d+ exited \(code 1\) before it listened: stopping/);
  }, 90_000);
});
