/**
 * Publish throughput at the default settings: the queue (concurrent across topics, keep-alive
 * pool) versus one awaited POST per update, which is how API Platform publishes. The sink stands
 * in for a hub answering after 1 ms, in a separate process (`support/http-sink.ts`), as a hub is.
 *
 * Each mode runs once to warm up (connections, JIT), then `ROUNDS` timed runs alternate the modes;
 * ratios are to the awaited POSTs of the same round, median (min–max). Two workloads: updates over
 * `TOPICS` distinct topics, and all on one topic, where per-topic ordering sends them one at a time
 * (the queue then cannot beat the awaited POSTs: that is the price of ordering).
 *
 * Beside the rate, the CPU time this process spent per update (`process.cpuUsage()`): what the
 * publisher's own code costs, which a busy neighbour on a shared machine cannot stretch.
 * `PUBLISH_BENCH_ROUNDS` sets the rounds (default 5).
 */
import { performance } from 'perf_hooks';
import { request } from 'undici';
import { encodeUpdate, HttpTransport } from '../lib/publisher/http-transport';
import { PublishQueue } from '../lib/publisher/publish-queue';
import { Update } from '../lib/publisher/update';
import { startHttpSink } from './support/http-sink';
import { machineLoad } from './support/machine-load';
import { median, medianAndRange } from './support/stats';

const UPDATES = 2000;
const TOPICS = 200;
const HUB_LATENCY_MS = 1;
const ROUNDS = Number(process.env.PUBLISH_BENCH_ROUNDS ?? 5);

function updates(topics: number): Update[] {
  return Array.from(
    { length: UPDATES },
    (_, i) => new Update(`https://example.com/books/${i % topics}`, JSON.stringify({ '@id': `/books/${i % topics}`, seq: i })),
  );
}

/** Wall-clock ms, and CPU µs of this process per update. */
interface Run {
  ms: number;
  cpuPerUpdate: number;
}

async function timed(batch: Update[], send: () => Promise<unknown>): Promise<Run> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await send();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuPerUpdate: (used.user + used.system) / batch.length };
}

function sequential(url: string, batch: Update[]): Promise<Run> {
  return timed(batch, () => postEach(url, batch));
}

async function postEach(url: string, batch: Update[]): Promise<void> {
  for (const update of batch) {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer bench' },
      body: encodeUpdate(update),
    });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`sink answered ${response.statusCode}`);
  }
}

function queued(queue: PublishQueue, batch: Update[]): Promise<Run> {
  return timed(batch, () => Promise.all(batch.map((update) => queue.enqueue(update))));
}

export async function run(): Promise<void> {
  const sink = await startHttpSink(HUB_LATENCY_MS);
  // Default settings: only what the transport cannot default (the URL and a token).
  const queue = new PublishQueue(new HttpTransport({ url: sink.url, token: async () => 'bench' }), { hubName: 'bench' });
  try {
    const spread = updates(TOPICS);
    const oneTopic = updates(1);
    const loadBefore = machineLoad();
    const modes: Record<string, () => Promise<Run>> = {
      'one awaited POST per update': () => sequential(sink.url, spread),
      [`PublishQueue + HttpTransport, ${TOPICS} topics`]: () => queued(queue, spread),
      'PublishQueue + HttpTransport, 1 topic': () => queued(queue, oneTopic),
    };
    const names = Object.keys(modes);
    const times = new Map<string, Run[]>(names.map((name) => [name, []]));
    for (const measure of Object.values(modes)) await measure(); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) times.get(name)!.push(await modes[name]());
    }
    const { received } = await sink.stats();
    if (received !== (ROUNDS + 1) * names.length * UPDATES) {
      throw new Error(`the sink received ${received} updates, expected ${(ROUNDS + 1) * names.length * UPDATES}`);
    }
    const baseline = times.get(names[0])!;
    console.log(
      `\nPublish throughput at the default settings: ${UPDATES} updates, sink (separate process) answering after ${HUB_LATENCY_MS} ms; ` +
        `${ROUNDS} warm rounds, modes alternating, median (min–max); ${loadBefore} before, ${machineLoad()} after`,
    );
    console.table(
      names.map((name, i) => ({
        mode: name,
        'updates/s': Math.round(UPDATES / (median(times.get(name)!.map((run) => run.ms)) / 1000)),
        'speed-up vs awaited POSTs': medianAndRange(times.get(name)!.map((run, round) => baseline[round].ms / run.ms)),
        target: i === 1 ? '>= 10x' : '',
        'publisher CPU per update (µs)': medianAndRange(times.get(name)!.map((run) => run.cpuPerUpdate), 1),
      })),
    );
  } finally {
    await queue.close();
    await sink.stop();
  }
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
