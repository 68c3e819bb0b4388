/**
 * What subscribers' URI templates cost each publish on the embedded hub: the publish cost with 0,
 * 10k and 80k distinct templates subscribed, as ratios vs 0 (measured in the same run).
 *
 * The templates come from real SSE subscriptions over HTTP (100 templates per connection, the most
 * one subscription may carry). Then 400 updates to new topics (`https://example.com/books/N`, so
 * the (template, topic) result cache never helps) are published in-process; with the memory
 * transport `hub.publish` fans out synchronously, so its time is the dispatch cost. Median and
 * p10-p90 per scenario.
 *
 * Scenarios:
 * - distinct prefixes (`https://bench.example/s{i}/{id}`), what many unrelated subscribers send,
 *   with `maxTemplates` raised to 100k to show the index alone;
 * - one shared prefix and no literal suffix (`https://example.com/books/{id}/{r<i>}`), the worst
 *   case: the index cannot rule any template out, every one is matched against each topic, so
 *   `maxTemplates` (default 10k) is the bound; an 80k attempt shows how many the hub accepts
 *   (the rest are answered 429).
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import { MercureHub } from '../lib/hub/mercure-hub';
import { MAX_TEMPLATES_PER_SUBSCRIPTION } from '../lib/hub/subscribe';

const PUBLISHES = 400;

interface Scenario {
  name: string;
  templates: number;
  template: (i: number) => string;
  maxTemplates?: number;
}

const distinct = (i: number) => `https://bench.example/s${i}/{id}`;
const shared = (i: number) => `https://example.com/books/{id}/{r${i}}`;

const SCENARIOS: Scenario[] = [
  { name: 'none', templates: 0, template: distinct },
  { name: 'distinct prefixes', templates: 10_000, template: distinct, maxTemplates: 100_000 },
  { name: 'distinct prefixes', templates: 80_000, template: distinct, maxTemplates: 100_000 },
  { name: 'shared prefix, worst case (default maxTemplates)', templates: 10_000, template: shared },
  { name: 'shared prefix, worst case (default maxTemplates)', templates: 80_000, template: shared },
];

function open(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      resolve(res);
    });
  });
}

async function measure(scenario: Scenario) {
  const hub = new MercureHub({
    anonymous: true,
    heartbeat: 0,
    historySize: 0,
    ...(scenario.maxTemplates !== undefined && { maxTemplates: scenario.maxTemplates }),
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  await hub.start();
  const server = http.createServer(hub.handler);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${hub.path}`;
  const streams: http.IncomingMessage[] = [];
  let refused = 0;
  try {
    // One subscriber that receives every update, so the publishes deliver something.
    streams.push(await open(`${hubUrl}?topic=${encodeURIComponent('https://example.com/books/{id}')}`));
    for (let offset = 0; offset < scenario.templates; offset += MAX_TEMPLATES_PER_SUBSCRIPTION * 20) {
      const batch: Promise<http.IncomingMessage>[] = [];
      for (let c = offset; c < Math.min(scenario.templates, offset + MAX_TEMPLATES_PER_SUBSCRIPTION * 20); c += MAX_TEMPLATES_PER_SUBSCRIPTION) {
        const url = new URL(hubUrl);
        for (let i = c; i < Math.min(scenario.templates, c + MAX_TEMPLATES_PER_SUBSCRIPTION); i++) {
          url.searchParams.append('topic', scenario.template(i));
        }
        batch.push(open(url.toString()));
      }
      for (const res of await Promise.all(batch)) {
        if (res.statusCode === 200) streams.push(res);
        else refused++;
      }
    }
    const accepted = hub.stats().templates - 1;
    // Warm-up (JIT), on other topics.
    for (let i = 0; i < 200; i++) await hub.publish({ topics: [`https://example.com/warm/${i}`], data: 'x' });
    const times: number[] = [];
    for (let i = 0; i < PUBLISHES; i++) {
      const t0 = performance.now();
      await hub.publish({ topics: [`https://example.com/books/${i + 1}`], data: 'x' });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    return { accepted, refused, p10: at(0.1), p50: at(0.5), p90: at(0.9), states: hub.stats().retainedStates };
  } finally {
    for (const res of streams) res.destroy();
    await hub.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function run(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  let baseline = 0;
  for (const scenario of SCENARIOS) {
    const r = await measure(scenario);
    if (scenario.templates === 0) baseline = r.p50;
    rows.push({
      templates: scenario.name,
      'asked (distinct)': scenario.templates,
      accepted: r.accepted,
      'subscriptions refused (429)': r.refused,
      'publish p50 (µs)': Math.round(r.p50 * 1000),
      'p10-p90 (µs)': `${Math.round(r.p10 * 1000)}-${Math.round(r.p90 * 1000)}`,
      'p50 vs none': +(r.p50 / baseline).toFixed(2),
      'compiled states': r.states,
    });
  }
  console.log(
    `Publish cost with distinct URI templates subscribed (in-process publish, memory transport, ${PUBLISHES} updates to new topics each)`,
  );
  console.table(rows);
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
