import { ConsoleLogger } from '@nestjs/common';
import { Client } from 'pg';
import { describeWithPostgres, POSTGRES_URL, uniqueSchemaName } from './support/databases';
import { HubSink } from './support/hub-sink';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const SECRET = 'postgres-e2e-secret-never-to-be-logged';

/** Keeps what the app logs, to assert on it. */
class RecordingLogger extends ConsoleLogger {
  readonly lines: string[] = [];
  protected printMessages(messages: unknown[], context = '', logLevel = 'log'): void {
    this.lines.push(`${logLevel} [${context}] ${messages.map(String).join(' ')}`);
  }
}

describeWithPostgres('delivery against PostgreSQL, through the sample app', () => {
  let database: string;
  let databaseUrl: string;
  let admin: Client;
  let sink: HubSink;
  let sample: RunningSampleApp;

  beforeAll(async () => {
    // The sample app works in the `public` schema of DATABASE_URL: give it a database of its own,
    // so test files running in parallel never share its tables.
    database = uniqueSchemaName('mercure_sample');
    admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${database}`);
    const url = new URL(POSTGRES_URL!);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
  });

  afterAll(async () => {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  beforeEach(async () => {
    sink = new HubSink();
    await sink.start();
  });

  afterEach(async () => {
    await sample?.app.close();
    await sink.stop();
  });

  it('delivers every update once after the hub comes back', async () => {
    const port = Number(new URL(sink.url).port);
    sample = await startSampleApp({ DATABASE_URL: databaseUrl, MERCURE_PUBLISH_URL: sink.url, MERCURE_JWT_SECRET: SECRET });
    await sink.stop(); // the hub goes down

    const titles = ['Dune', 'Hyperion', 'Solaris'];
    for (const title of titles) {
      // The request succeeds although the hub is unreachable.
      expect((await sample.request('POST', '/books', { title })).status).toBe(201);
    }
    await sink.start(port); // ... and comes back on the same address
    await sink.waitForCount(3, 20000);
    // Give a duplicate (a retry of something already delivered) the chance to show up.
    await sample.app.close();
    const delivered = sink.updates().map((u) => (u.data as { title: string }).title);
    expect(delivered.sort()).toEqual([...titles].sort());
  });

  it('logs a 401 from the hub once, without retrying, and never the secret', async () => {
    sink.respondWith(() => ({ status: 401, body: 'Invalid JWT' }));
    const logger = new RecordingLogger();
    sample = await startSampleApp({ DATABASE_URL: databaseUrl, MERCURE_PUBLISH_URL: sink.url, MERCURE_JWT_SECRET: SECRET });
    sample.app.useLogger(logger);

    const created = await sample.request('POST', '/books', { title: 'Unauthorized' });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await sample.request('GET', `/books/${id}`)).status).toBe(200);

    await sample.app.close(); // drains: the one attempt has been answered
    expect(sink.answered).toBe(1);
    const errors = logger.lines.filter((line) => line.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('401');
    expect(errors[0]).toContain('Invalid JWT');
    expect(logger.lines.join('\n')).not.toContain(SECRET);
    const token = String(sink.lastHeaders?.authorization).replace('Bearer ', '');
    expect(token.length).toBeGreaterThan(20);
    expect(logger.lines.join('\n')).not.toContain(token);
  });
});
