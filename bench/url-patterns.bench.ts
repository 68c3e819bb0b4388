/**
 * What subscribers' 1.0 URL patterns (`match_urlpattern`) cost each publish on the embedded hub,
 * as ratios vs no pattern (same run). Patterns come from real SSE subscriptions over HTTP (100 per
 * connection, the most one subscription may carry); updates are published in-process (with the
 * memory transport the fan-out is synchronous, so the time is the dispatch cost), each to a new
 * topic so the result cache never helps. Median and p10-p90.
 *
 * The index files a pattern under the literal start of the URLs it matches (`https://host/path`),
 * so patterns of distinct prefixes cost a publish little; patterns sharing the topic's prefix are
 * each tested (the WHATWG matcher, some µs to tens of µs each), so `maxUrlPatterns` (default 200)
 * bounds the cost. The worst accepted shape (a wildcard then named groups) is measured on short
 * topics and on topics of the longest length a pattern is tested on (2048 characters).
 */
import { MercureHub } from '../lib/hub/mercure-hub';
import { MAX_URL_PATTERNS_PER_SUBSCRIPTION } from '../lib/hub/protocol-10';
import { MAX_URL_PATTERN_TOPIC_LENGTH } from '../lib/hub/url-pattern';
import { openStream, serveHub, subscribeAll, publishCostColumns, timePublishes } from './support/selector-bench';

const PUBLISHES = 60;

interface Scenario {
  name: string;
  patterns: number;
  pattern: (i: number) => string;
  topic: (i: number) => string;
  maxUrlPatterns?: number;
}

const short = (i: number) => `https://example.com/books/${i}`;
const long = (i: number) => `https://example.com/${'a/'.repeat((MAX_URL_PATTERN_TOPIC_LENGTH - 40) / 2)}${i}`;
const simple = (i: number) => `https://bench.example/s${i}/:id`;
const worst = (i: number) => `https://example.com/*/:a/:b/x${i}`;

const SCENARIOS: Scenario[] = [
  { name: 'none, short topics', patterns: 0, pattern: simple, topic: short },
  { name: 'distinct prefixes, short topics', patterns: 10_000, pattern: simple, topic: short, maxUrlPatterns: 10_000 },
  { name: 'shared prefix, worst shape, short topics (default maxUrlPatterns)', patterns: 10_000, pattern: worst, topic: short },
  { name: 'none, 2 KB topics', patterns: 0, pattern: worst, topic: long },
  { name: 'shared prefix, worst shape, 2 KB topics (default maxUrlPatterns)', patterns: 10_000, pattern: worst, topic: long },
  { name: 'shared prefix, worst shape, 2 KB topics (maxUrlPatterns 1000)', patterns: 1_000, pattern: worst, topic: long, maxUrlPatterns: 1000 },
];

async function measure(scenario: Scenario) {
  const hub = new MercureHub({
    protocol: '1.0',
    issuer: 'https://bench.example',
    audience: 'https://bench.example/.well-known/mercure',
    anonymous: true,
    heartbeat: 0,
    historySize: 0,
    ...(scenario.maxUrlPatterns !== undefined && { maxUrlPatterns: scenario.maxUrlPatterns }),
    logger: { warn: () => undefined, error: (m) => console.error(m) },
  });
  const served = await serveHub(hub);
  try {
    served.streams.push(await openStream(`${served.url}?match=*`));
    const refused = await subscribeAll(served, 'match_urlpattern', scenario.patterns, MAX_URL_PATTERNS_PER_SUBSCRIPTION, scenario.pattern);
    for (let i = 0; i < 20; i++) await hub.publish({ topics: [`https://example.com/warm/${i}`], data: 'x' });
    const times = await timePublishes(hub, PUBLISHES, scenario.topic);
    return { accepted: hub.stats().templates, refused, ...times };
  } finally {
    await served.close();
  }
}

export async function run(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  let baseline = 0;
  for (const scenario of SCENARIOS) {
    const r = await measure(scenario);
    if (scenario.patterns === 0) baseline = r.p50;
    rows.push({
      patterns: scenario.name,
      asked: scenario.patterns,
      accepted: r.accepted,
      'subscriptions refused (429)': r.refused,
      ...publishCostColumns(r, baseline, 1),
    });
  }
  console.log(`Publish cost with distinct URL patterns subscribed (in-process publish, memory transport, ${PUBLISHES} updates to new topics each)`);
  console.table(rows);
}

if (require.main === module) {
  run().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
