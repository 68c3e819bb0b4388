import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { freePort } from '../../test/support/fake-hub';

/** The fixture's primary as a child process, its output (primary and workers) gathered. */
class ClusteredApp {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private text = '';
  private waiters: (() => void)[] = [];

  constructor(scenario: string, port: number) {
    const fixture = join(__dirname, '../../test/fixtures/clustered-http.ts');
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', fixture], {
      env: { ...process.env, SCENARIO: scenario, PORT: String(port), TS_NODE_PROJECT: join(__dirname, '../../tsconfig.json') },
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        this.text += chunk.toString();
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  output(): string {
    return this.text;
  }

  /** Resolves once the output contains `text`; rejects if the primary exits first. */
  async waitFor(text: string): Promise<void> {
    let ended = false;
    void this.exited.then(() => {
      ended = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    while (!this.text.includes(text)) {
      if (ended) throw new Error(`the primary exited before "${text}":\n${this.text}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

describe('runClustered (a real primary and workers, plain HTTP servers)', () => {
  let app: ClusteredApp | undefined;
  afterEach(() => {
    if (app?.child.exitCode === null) app.child.kill('SIGKILL');
    app = undefined;
  });

  it('restarts a replacement worker that fails to start once every worker has listened, and exits 0 on SIGTERM', async () => {
    app = new ClusteredApp('replacement-fails', await freePort());
    await app.waitFor('worker 4 listening');
    expect(app.output()).toMatch(/Worker \d+ exited \(code 1\): starting another in 20 ms/);
    expect(app.output()).toMatch(/Worker \d+ exited \(code 1 before it listened\): starting another in 40 ms/);
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('Stopping 2 workers (SIGTERM)');
  }, 20_000);

  it('restarts a worker crashing after it listened with a doubling delay, and gives up after maxFailures (exit 1)', async () => {
    app = new ClusteredApp('crash-loop', await freePort());
    expect(await app.exited).toBe(1);
    const output = app.output();
    expect(output).toMatch(/Worker \d+ exited \(code 1\): starting another in 20 ms/);
    expect(output).toMatch(/Worker \d+ exited \(code 1\): starting another in 40 ms/);
    expect(output).toMatch(/Worker \d+ exited \(code 1\): 3 worker failures within 300000 ms, stopping/);
    expect(output.match(/worker \d+ listening/g)).toHaveLength(3);
  }, 20_000);

  it('exits 1 when a worker fails its graceful shutdown (non-zero exit code)', async () => {
    app = new ClusteredApp('failed-shutdown', await freePort());
    await app.waitFor('worker 1 listening');
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/Worker \d+ exited \(code 3\) while stopping/);
  }, 20_000);
});
