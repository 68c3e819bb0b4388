// The sample app as a real child process (`sample-app/src/main.ts` run from source), for tests
// about crashes and signals: SIGKILL really kills it.
import { ChildProcess, spawn } from 'child_process';
import { connect } from 'net';
import { join } from 'path';

const ROOT = join(__dirname, '../..');

export interface SampleAppProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  child: ChildProcess;
  /** What it wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends `signal` and resolves when the process has exited, with its exit code or signal. */
  kill(signal: 'SIGKILL' | 'SIGTERM', timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns `node -r ts-node/register/transpile-only sample-app/src/main.ts` with `env` on top of a
 * minimal environment (PORT given), `nestjs-mercure` resolved to `lib/`, and resolves once the
 * port accepts connections.
 */
export async function spawnSampleApp(
  port: number,
  env: Record<string, string>,
  startTimeoutMs = 90_000,
  /** Modules loaded before the app (`-r`), e.g. test instrumentation. */
  preload: string[] = [],
): Promise<SampleAppProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      join(__dirname, 'resolve-nestjs-mercure.js'),
      ...preload.flatMap((module) => ['-r', module]),
      join(ROOT, 'sample-app/src/main.ts'),
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + startTimeoutMs;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sample app exited at start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sample app not listening after ${startTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    async kill(signal, timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
