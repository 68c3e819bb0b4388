import { fork, type ChildProcess } from 'child_process';
import { join } from 'path';

/**
 * A hub stand-in answering every POST after `latencyMs`, in a separate process (so it never
 * competes with the publisher for its event loop, as a real hub would not).
 */
export interface HttpSink {
  /** The publish URL. */
  url: string;
  /** Updates received since start, and the `mark-<n>` probes received since the last call, with their time of arrival (ms of `process.hrtime`: CLOCK_MONOTONIC, one clock for all processes on Linux, unlike `performance.timeOrigin`). */
  stats(): Promise<{ received: number; marks: Map<number, number> }>;
  stop(): Promise<void>;
}

export async function startHttpSink(latencyMs: number): Promise<HttpSink> {
  const child = fork(join(__dirname, 'http-sink.child.js'), [String(latencyMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the sink exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as T);
      });
    });
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}/.well-known/mercure`,
    async stats() {
      const answer = next<{ received: number; marks: [number, number][] }>();
      child.send('stats');
      const { received, marks } = await answer;
      return { received, marks: new Map(marks) };
    },
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}
