/*
 * `npm run bench`: prints the tables of every benchmark, one after the other, from one run.
 * Ratios are only meaningful within one run: the machine may be shared.
 */
import 'reflect-metadata';

const benches: [string, () => Promise<{ run(): Promise<void> }>][] = [
  ['em.flush() with and without the Mercure listener', () => import('./flush.bench')],
  ['em.flush() with and without the Mercure listener: minor collections', () => import('./flush-gc.bench')],
  ['publish throughput to a local HTTP hub', () => import('./publish.bench')],
  ['embedded hub fan-out', () => import('./hub.bench')],
  ['embedded hub on every core (node:cluster, Redis transport)', () => import('./cluster.bench')],
  ['embedded hub: publish cost with URI templates subscribed', () => import('./templates.bench')],
  ['embedded hub: publish cost with 1.0 URL patterns subscribed', () => import('./url-patterns.bench')],
  ['transactional outbox: flush cost, relay throughput, commit-to-hub latency', () => import('./outbox.bench')],
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [title, load] of benches) {
    if (only.length && !only.some((word) => title.includes(word))) continue;
    console.log(`\n## ${title}\n`);
    await (await load()).run();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
