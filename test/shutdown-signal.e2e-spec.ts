import { randomBytes } from 'crypto';
import { rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BookWorkload } from './support/book-workload';
import { checkDelivery, printFigures, until, waitForDelivery } from './support/delivery-check';
import { freePort } from './support/fake-hub';
import { HubSink, slowly } from './support/hub-sink';
import { SampleAppProcess, spawnSampleApp } from './support/sample-app-process';

const PUBLIC_URL = 'http://books.test';
const SECRET = `sigterm-e2e-secret-${randomBytes(16).toString('hex')}`;

/** The sample app as a child process on a SQLite file of its own, with an external hub. */
async function sampleAppOn(sink: HubSink, delivery: 'outbox' | 'memory') {
  const file = join(tmpdir(), `mercure-sigterm-${randomBytes(4).toString('hex')}.sqlite`);
  const port = await freePort();
  const env = { SQLITE_PATH: file, PUBLIC_URL, MERCURE_PUBLISH_URL: sink.url, MERCURE_JWT_SECRET: SECRET, MERCURE_DELIVERY: delivery };
  return { file, start: () => spawnSampleApp(port, env) };
}

function expectNoSecrets(sink: HubSink, ...apps: SampleAppProcess[]): void {
  const token = String(sink.lastHeaders?.authorization).replace('Bearer ', '');
  for (const app of apps) {
    expect(app.output()).not.toContain(SECRET);
    expect(app.output()).not.toContain(token);
  }
}

describe('SIGTERM mid-burst (child process, SQLite file)', () => {
  const files: string[] = [];
  afterAll(() => files.forEach((file) => rmSync(file, { force: true })));

  it('outbox, hub answering in 2 s: what the shutdown did not deliver, the next start does', async () => {
    const sink = new HubSink(slowly(2000));
    await sink.start();
    const { file, start } = await sampleAppOn(sink, 'outbox');
    files.push(file);
    const first = await start();
    let app = first;
    const workload = new BookWorkload({ targets: () => [app.url], deleteAt: (book) => (book % 4 === 3 ? 6 : 0) });
    const burst = workload.steady(40, 15_000, 12);
    await until(() => workload.committed.length >= 100 && sink.received.length >= 5, 30_000, 'writes committed and a few delivered');
    const signalledAt = Date.now();
    const exit = await first.kill('SIGTERM');
    const shutdownMs = Date.now() - signalledAt;
    workload.halt(); // the app is gone or going: no point going on
    await burst;
    const receivedAtExit = sink.received.length;
    sink.respondWith(() => ({ status: 200 }));

    const restartedAt = Date.now();
    app = await start();
    let report;
    try {
      report = await waitForDelivery({ sink, workload, appUrl: app.url, publicUrl: PUBLIC_URL, allowDuplicates: false }, 30_000);
    } finally {
      await app.kill('SIGTERM');
      await sink.stop();
    }
    printFigures('SIGTERM/outbox', { ...report, problems: report.problems.length, receivedAtExit, shutdownMs, deliveredAfterRestartMs: Date.now() - restartedAt });

    expect(exit.signal).toBe('SIGTERM'); // Nest re-raises the signal once the app closed; SIGKILL would mean it hung
    expect(report.problems).toEqual([]);
    expect(receivedAtExit).toBeLessThan(report.committed); // the restart had something to deliver
    expect(first.output()).toMatch(/left undelivered at shutdown, for the next start/);
    expectNoSecrets(sink, first, app);
  }, 240_000);

  it('memory, healthy hub: every answered write is delivered before the process exits', async () => {
    const sink = new HubSink();
    await sink.start();
    const { file, start } = await sampleAppOn(sink, 'memory');
    files.push(file);
    const first = await start();
    let app = first;
    const workload = new BookWorkload({ targets: () => [app.url], deleteAt: (book) => (book % 4 === 3 ? 6 : 0) });
    const burst = workload.steady(60, 15_000, 12);
    await until(() => workload.committed.length >= 150, 30_000, '150 committed writes');
    const exit = await first.kill('SIGTERM');
    workload.halt(); // the app is gone or going: no point going on
    await burst;
    const receivedAtExit = sink.received.length;

    // Memory mode keeps nothing across a restart: the second start only answers the GETs.
    app = await start();
    let report;
    try {
      // Memory mode gives updates no id (only the outbox does): duplicates show as the same content.
      report = await checkDelivery({ sink, workload, appUrl: app.url, publicUrl: PUBLIC_URL, allowDuplicates: false, requireIds: false });
    } finally {
      await app.kill('SIGTERM');
      await sink.stop();
    }
    printFigures('SIGTERM/memory', { ...report, problems: report.problems.length, receivedAtExit });

    expect(exit.signal).toBe('SIGTERM'); // Nest re-raises the signal once the app closed; SIGKILL would mean it hung
    expect(report.problems).toEqual([]);
    expect(report.delivered).toBe(report.committed); // each committed write once, nothing else
    expect(sink.received.length).toBe(receivedAtExit); // all of it before the exit
    expect(report.cut).toBeGreaterThan(0); // the signal came mid-burst
    // Nothing refused or given up. (The first drain, while the server still takes writes, may warn
    // that updates are "still pending": under a steady load the queue is never empty then.)
    expect(first.output()).not.toMatch(/is closed|dropped when the queue closed|given up|gave up/i);
    expectNoSecrets(sink, first, app);
  }, 240_000);
});
