import { MercureOutbox } from 'nestjs-mercure';
import { BookWorkload } from './support/book-workload';
import { createPostgresDatabase, describeWithPostgres } from './support/databases';
import { checkDelivery, printFigures, waitForDelivery } from './support/delivery-check';
import { HubSink, slowly } from './support/hub-sink';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const PUBLIC_URL = 'http://books.test';

/**
 * Two instances of the sample app (in-process, outbox mode) on one PostgreSQL database, one hub;
 * each book's writes alternate between the instances, so both relays see rows of every topic.
 */
describeWithPostgres('outbox: two app instances on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let sink: HubSink;
  const instances: RunningSampleApp[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    sink = new HubSink(slowly(5)); // a little latency, so that both relays have rows in flight at once
    await sink.start();
    // One after the other: both create the tables at start-up.
    for (let i = 0; i < 2; i++) {
      instances.push(await startSampleApp({ DATABASE_URL: database.url, PUBLIC_URL, MERCURE_PUBLISH_URL: sink.url }));
    }
  });

  afterAll(async () => {
    for (const instance of instances) await instance.app.close();
    await sink.stop();
    await database?.drop();
  });

  it('delivers every update exactly once, in order per book', async () => {
    const workload = new BookWorkload({ targets: () => instances.map((i) => i.url), deleteAt: (book) => (book % 5 === 4 ? 8 : 0) });
    await Promise.all([workload.burst(20, 12), workload.steady(40, 5000, 20)]);
    const check = { sink, workload, appUrl: instances[0].url, publicUrl: PUBLIC_URL, allowDuplicates: false };
    const report = await waitForDelivery(check, 30_000);
    // Let both relays sweep a few more times: a row delivered twice would show now.
    for (const instance of instances) expect(await instance.app.get(MercureOutbox).whenIdle(5000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const settled = await checkDelivery(check);
    printFigures('two instances (PG)', { ...settled, problems: settled.problems.length, waitedMs: report.waitedMs });

    expect(workload.committed).toHaveLength(workload.writes.length);
    expect(settled.problems).toEqual([]);
    expect(settled.duplicates).toBe(0);
    expect(settled.delivered).toBe(settled.committed);
    for (const instance of instances) expect((await instance.app.get(MercureOutbox).stats()).pending).toBe(0);
  }, 90_000);
});
