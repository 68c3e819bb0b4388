/**
 * The subscribers of the hub bench: N raw TCP SSE clients in one child process (so reading the
 * streams does not steal the server's CPU). Deliveries are counted where they arrive: a frame is
 * delivered when its closing blank line is read by a subscriber.
 */
import { fork, type ChildProcess } from 'child_process';
import * as net from 'net';

type ToChild =
  | { cmd: 'connect'; port: number; n: number; path: string; topic: string }
  /** Count the next `perSubscriber` frames of every subscriber; `latency`: read each frame's data as its publish time (µs). */
  | { cmd: 'expect'; perSubscriber: number; latency: boolean }
  | { cmd: 'close' };

export interface Received {
  /** When the last expected frame arrived (µs, CLOCK_MONOTONIC: one clock for all processes). */
  lastAt: number;
  /** With `latency`: each delivery's latency (ms). */
  latencies?: number[];
}

type FromChild = { type: 'connected'; n: number } | ({ type: 'received' } & Received) | { type: 'error'; message: string };

export const nowMicros = (): number => Number(process.hrtime.bigint() / 1000n);

const NL = 0x0a;
const DATA = Buffer.from('data: ');

function childMain(): void {
  const sockets: net.Socket[] = [];
  const lastByte: number[] = [];
  let expected = 0;
  let received = 0;
  let latencies: Float64Array | undefined;
  const send = (message: FromChild) => process.send!(message);

  // Frames end with "\n\n", and nothing else in a stream has two line feeds in a row.
  const onData = (index: number, chunk: Buffer) => {
    let frames = 0;
    let previous = lastByte[index];
    for (let i = chunk.indexOf(NL); i !== -1; i = chunk.indexOf(NL, i + 1)) {
      if ((i === 0 ? previous : chunk[i - 1]) === NL) {
        frames++;
        if (latencies && received + frames <= expected) {
          const start = chunk.lastIndexOf(DATA, i);
          if (start !== -1) latencies[received + frames - 1] = (nowMicros() - Number(chunk.toString('latin1', start + 6, i - 1))) / 1000;
        }
      }
    }
    lastByte[index] = chunk[chunk.length - 1];
    if (frames === 0 || expected === 0) return;
    received += frames;
    if (received >= expected) {
      const lastAt = nowMicros();
      const summary = latencies && Array.from(latencies);
      expected = 0;
      latencies = undefined;
      send({ type: 'received', lastAt, latencies: summary });
    }
  };

  const connectOne = (port: number, request: string) =>
    new Promise<void>((resolve, reject) => {
      const index = sockets.length;
      const socket = net.connect(port, '127.0.0.1');
      sockets.push(socket);
      lastByte.push(0);
      let head = '';
      socket.on('error', reject);
      const onHead = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!head.startsWith('HTTP/1.1 200')) return reject(new Error(head.split('\r\n')[0]));
        socket.off('data', onHead);
        socket.on('data', (data: Buffer) => onData(index, data));
        resolve();
      };
      socket.on('data', onHead);
      socket.write(request);
    });

  process.on('message', async (message: ToChild) => {
    try {
      if (message.cmd === 'connect') {
        const request = `GET ${message.path}?topic=${encodeURIComponent(message.topic)} HTTP/1.1\r\nHost: 127.0.0.1:${message.port}\r\nAccept: text/event-stream\r\n\r\n`;
        for (let offset = 0; offset < message.n; offset += 250) {
          const batch = Math.min(250, message.n - offset);
          await Promise.all(Array.from({ length: batch }, () => connectOne(message.port, request)));
        }
        send({ type: 'connected', n: sockets.length });
      } else if (message.cmd === 'expect') {
        received = 0;
        expected = message.perSubscriber * sockets.length;
        latencies = message.latency ? new Float64Array(expected) : undefined;
      } else if (message.cmd === 'close') {
        for (const socket of sockets) socket.destroy();
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: (error as Error).message });
    }
  });
}

/** The subscribers' process, seen from the bench. */
export class SseSubscribers {
  private readonly process: ChildProcess;
  private waiters: ((message: FromChild) => void)[] = [];

  constructor() {
    this.process = fork(__filename, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (message: FromChild) => this.waiters.shift()?.(message));
  }

  async connect(port: number, n: number, path: string, topic: string): Promise<void> {
    const connected = this.next('connected');
    this.process.send({ cmd: 'connect', port, n, path, topic } satisfies ToChild);
    const { n: got } = await connected;
    if (got !== n) throw new Error(`connected ${got} subscribers, expected ${n}`);
  }

  /** `done` resolves once every subscriber got `perSubscriber` more frames. */
  async expect(perSubscriber: number, latency: boolean): Promise<{ done: Promise<Received> }> {
    const done = this.next('received');
    this.process.send({ cmd: 'expect', perSubscriber, latency } satisfies ToChild);
    // Let the child read the message before anything is published.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { done };
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.send({ cmd: 'close' } satisfies ToChild);
    await exited;
  }

  private next<T extends FromChild['type']>(type: T): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiters.push((message) => {
        if (message.type === 'error') reject(new Error(message.message));
        else if (message.type !== type) reject(new Error(`expected ${type}, got ${message.type}`));
        else resolve(message as Extract<FromChild, { type: T }>);
      });
    });
  }
}

if (require.main === module) childMain();
