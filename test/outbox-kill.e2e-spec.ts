import { randomBytes } from 'crypto';
import { rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BookWorkload } from './support/book-workload';
import { createPostgresDatabase, describeWithPostgres } from './support/databases';
import { printFigures, until, waitForDelivery } from './support/delivery-check';
import { freePort } from './support/fake-hub';
import { HubSink, slowly } from './support/hub-sink';
import { spawnSampleApp } from './support/sample-app-process';

const PUBLIC_URL = 'http://books.test';
const SECRET = `kill-e2e-secret-${randomBytes(16).toString('hex')}`;

/**
 * The sample app (a child process, outbox mode) takes a burst of writes while the hub answers in
 * 2 s, is killed with SIGKILL mid-burst, and is started again on the same database with a healthy
 * hub: every committed update arrives (duplicates only with the same id), nothing from a write that
 * did not commit, and each book's last update is what the database holds.
 */
async function killMidBurstAndRestart(name: string, database: Record<string, string>): Promise<void> {
  const sink = new HubSink(slowly(2000));
  await sink.start();
  const port = await freePort();
  const env = { ...database, PUBLIC_URL, MERCURE_PUBLISH_URL: sink.url, MERCURE_JWT_SECRET: SECRET, MERCURE_DELIVERY: 'outbox' };
  const startedAt = Date.now();
  const first = await spawnSampleApp(port, env);
  const firstListeningMs = Date.now() - startedAt;
  let app = first;
  const workload = new BookWorkload({ targets: () => [app.url], deleteAt: (book) => (book % 4 === 3 ? 6 : 0) });
  // 40 writes/s over 12 books; killed once the hub has answered a few (and holds more for 2 s).
  const burst = workload.steady(40, 15_000, 12);
  await until(() => workload.committed.length >= 100 && sink.received.length >= 5, 30_000, 'writes committed and a few delivered');
  const exit = await first.kill('SIGKILL');
  workload.halt(); // the app is gone: no point going on
  await burst;
  const receivedAtKill = sink.received.length;
  sink.respondWith(() => ({ status: 200 }));

  const restartedAt = Date.now();
  app = await spawnSampleApp(port, env);
  const listeningMs = Date.now() - restartedAt;
  let report;
  try {
    report = await waitForDelivery({ sink, workload, appUrl: app.url, publicUrl: PUBLIC_URL, allowDuplicates: true }, 45_000);
  } finally {
    await app.kill('SIGTERM');
    await sink.stop();
  }
  printFigures(name, { ...report, problems: report.problems.length, receivedAtKill, firstListeningMs, restartListeningMs: listeningMs, deliveredAfterRestartMs: Date.now() - restartedAt });

  expect(exit.signal).toBe('SIGKILL');
  expect(report.problems).toEqual([]);
  // The kill left committed updates undelivered, for the restart to deliver: else this proves nothing.
  expect(receivedAtKill).toBeLessThan(report.committed);
  const token = String(sink.lastHeaders?.authorization).replace('Bearer ', '');
  for (const output of [first.output(), app.output()]) {
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(token);
  }
}

describe('outbox: SIGKILL mid-burst, restart (SQLite file)', () => {
  const file = join(tmpdir(), `mercure-kill-${randomBytes(4).toString('hex')}.sqlite`);
  afterAll(() => rmSync(file, { force: true }));

  it('delivers every committed update after the restart, in order per book', async () => {
    await killMidBurstAndRestart('SIGKILL/SQLite', { SQLITE_PATH: file });
  }, 240_000);
});

describeWithPostgres('outbox: SIGKILL mid-burst, restart (PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  beforeAll(async () => (database = await createPostgresDatabase()));
  afterAll(() => database?.drop());

  it('delivers every committed update after the restart, in order per book', async () => {
    await killMidBurstAndRestart('SIGKILL/PostgreSQL', { DATABASE_URL: database.url });
  }, 240_000);
});
