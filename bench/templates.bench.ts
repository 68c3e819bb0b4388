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
import { MercureHub } from '../lib/hub/mercure-hub';
import { MAX_TEMPLATES_PER_SUBSCRIPTION } from '../lib/hub/subscribe';
import { openStream, serveHub, subscribeAll, publishCostColumns, timePublishes } from './support/selector-bench';

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

async function measure(scenario: Scenario) {
  const hub = new MercureHub({
    anonymous: true,
    heartbeat: 0,
    historySize: 0,
    ...(scenario.maxTemplates !== undefined && { maxTemplates: scenario.maxTemplates }),
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  const served = await serveHub(hub);
  try {
    // One subscriber that receives every update, so the publishes deliver something.
    served.streams.push(await openStream(`${served.url}?topic=${encodeURIComponent('https://example.com/books/{id}')}`));
    const refused = await subscribeAll(served, 'topic', scenario.templates, MAX_TEMPLATES_PER_SUBSCRIPTION, scenario.template);
    const accepted = hub.stats().templates - 1;
    // Warm-up (JIT), on other topics.
    for (let i = 0; i < 200; i++) await hub.publish({ topics: [`https://example.com/warm/${i}`], data: 'x' });
    const times = await timePublishes(hub, PUBLISHES, (i) => `https://example.com/books/${i + 1}`);
    return { accepted, refused, ...times, states: hub.stats().retainedStates };
  } finally {
    await served.close();
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
      ...publishCostColumns(r, baseline, 2),
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
