/**
 * The transactional outbox (issue 8's targets), on a SQLite file and on PostgreSQL when
 * TEST_POSTGRES_URL is set: the flush cost, the relay's throughput against the memory queue, and
 * commit-to-hub latency at a steady rate. Every figure is a ratio or a comparison with a baseline
 * measured in the same run; see each part's file for what exactly is timed.
 */
import { benchDatabases } from './support/bench-databases';
import { flushCost } from './outbox/flush-cost';
import { relayThroughput } from './outbox/relay-throughput';
import { commitLatency } from './outbox/commit-latency';

export async function run(): Promise<void> {
  const { databases, skipped } = benchDatabases();
  if (skipped) console.log(skipped);
  for (const db of databases) {
    console.log(`\n### ${db.name}`);
    await flushCost(db);
    await relayThroughput(db);
    await commitLatency(db);
  }
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
