import { MercureOutbox } from 'nestjs-mercure';
import { BookWorkload } from './support/book-workload';
import { createPostgresDatabase, describeWithPostgres } from './support/databases';
import { printFigures, waitForDelivery } from './support/delivery-check';
import { dropping, HubSink, stalling } from './support/hub-sink';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const PUBLIC_URL = 'http://books.test';

/**
 * The sample app (in-process, outbox mode, PostgreSQL) takes about 20 writes a second while the
 * hub is out, then the hub comes back: every committed update arrives once, and each book's last
 * update is what the database holds.
 */
describeWithPostgres('outbox: hub outage under load (PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let sink: HubSink;
  let sample: RunningSampleApp;

  beforeEach(async () => {
    database = await createPostgresDatabase();
    sink = new HubSink();
    await sink.start();
    sample = await startSampleApp({ DATABASE_URL: database.url, PUBLIC_URL, MERCURE_PUBLISH_URL: sink.url });
  });

  afterEach(async () => {
    await sample?.app.close();
    await sink.stop();
    await database?.drop();
  });

  async function deliveredAfterOutage(name: string, outage: () => Promise<void>, back: () => Promise<void>, outageMs: number) {
    const workload = new BookWorkload({ targets: () => [sample.url], deleteAt: (book) => (book % 5 === 4 ? 8 : 0) });
    await outage();
    await workload.steady(20, outageMs, 20);
    const duringOutage = sink.received.length;
    const stats = await sample.app.get(MercureOutbox).stats();
    await back();
    const report = await waitForDelivery({ sink, workload, appUrl: sample.url, publicUrl: PUBLIC_URL, allowDuplicates: false }, 30_000);
    printFigures(name, { ...report, problems: report.problems.length, writesPerSecond: +(workload.writes.length / (outageMs / 1000)).toFixed(1), receivedDuringOutage: duringOutage, pendingAtReturn: stats.pending, oldestAgeMsAtReturn: stats.oldestAgeMs });

    expect(workload.answered).toHaveLength(workload.writes.length);
    expect(workload.committed).toHaveLength(workload.writes.length); // the outage costs no write
    expect(report.problems).toEqual([]);
    expect(report.committed).toBeGreaterThan(50); // a real load met the outage (the rate depends on the machine)
    expect(stats.pending).toBeGreaterThan(report.committed / 2); // it was held, not delivered
    expect(await sample.app.get(MercureOutbox).whenIdle(5000)).toBe(true);
    expect((await sample.app.get(MercureOutbox).stats()).pending).toBe(0);
  }

  it('refusing connections for 30 s, then back on the same address', async () => {
    const port = Number(new URL(sink.url).port);
    await deliveredAfterOutage('hub refusing 30 s (PG)', () => sink.stop(), () => sink.start(port).then(() => undefined), 30_000);
  }, 90_000);

  it('dropping connections for 10 s, then stalling for 10 s, then healthy', async () => {
    const workload = 20_000;
    await deliveredAfterOutage(
      'hub dropping 10 s then stalling 10 s (PG)',
      async () => {
        sink.respondWith(dropping);
        setTimeout(() => sink.respondWith(stalling), workload / 2).unref();
      },
      async () => sink.respondWith(() => ({ status: 200 })),
      workload,
    );
  }, 90_000);
});
