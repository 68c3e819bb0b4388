import { randomBytes } from 'crypto';
import { rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { MercureOutbox } from 'nestjs-mercure';
import { BookWorkload } from './support/book-workload';
import { printFigures, waitForDelivery } from './support/delivery-check';
import { HubSink } from './support/hub-sink';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const PUBLIC_URL = 'http://books.test';
const OUTAGE_MS = 180_000;

// Three minutes of wall time, in a file of its own so that Jest runs it beside the others.
const skipSoak = process.env.MERCURE_SKIP_SOAK === '1';
if (skipSoak) process.stdout.write('[skipped] outbox soak (hub down 3 minutes): MERCURE_SKIP_SOAK=1\n');
const describeSoak = skipSoak ? describe.skip : describe;

describeSoak('outbox soak: hub down 3 minutes under a light load (SQLite file)', () => {
  const file = join(tmpdir(), `mercure-soak-${randomBytes(4).toString('hex')}.sqlite`);
  let sink: HubSink;
  let sample: RunningSampleApp;

  beforeAll(async () => {
    sink = new HubSink();
    await sink.start();
    sample = await startSampleApp({ SQLITE_PATH: file, PUBLIC_URL, MERCURE_PUBLISH_URL: sink.url });
  });

  afterAll(async () => {
    await sample?.app.close();
    await sink?.stop();
    rmSync(file, { force: true });
  });

  it('delivers every committed update once the hub is back', async () => {
    const port = Number(new URL(sink.url).port);
    const workload = new BookWorkload({ targets: () => [sample.url], deleteAt: (book) => (book % 5 === 4 ? 60 : 0) });
    await sink.stop();
    await workload.steady(5, OUTAGE_MS, 10);
    const stats = await sample.app.get(MercureOutbox).stats();
    await sink.start(port);
    const report = await waitForDelivery({ sink, workload, appUrl: sample.url, publicUrl: PUBLIC_URL, allowDuplicates: false }, 30_000);
    printFigures('hub down 3 min (SQLite)', { ...report, problems: report.problems.length, pendingAtReturn: stats.pending, oldestAgeMsAtReturn: stats.oldestAgeMs });

    expect(workload.committed).toHaveLength(workload.writes.length);
    expect(stats.pending).toBe(workload.committed.length); // nothing went out, nothing was dropped
    expect(report.problems).toEqual([]);
    expect(report.delivered).toBe(report.committed);
  }, OUTAGE_MS + 90_000);
});
