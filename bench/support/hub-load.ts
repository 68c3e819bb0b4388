/**
 * The load phases the hub benches share, given the subscribers and a `post(data)` that publishes
 * one update and resolves with the answer.
 */
import type { Pool } from 'undici';
import { HUB_BENCH_PATH } from './hub-bench-server';
import { nowMicros, type SseSubscribers } from './sse-subscribers';

export const BENCH_TOPIC = 'https://example.com/books/1';

const WARMUP_UPDATES = 10;
const LATENCY_UPDATES = 20;
export const LATENCY_INTERVAL_MS = 50;
const DELIVERIES_PER_PHASE = 300_000; // updates per phase = this / N (at least 20)

type Post = (data: string) => Promise<void>;

/** Publishes one update on `BENCH_TOPIC` through `pool` with a publisher token; throws unless 200. */
export function hubPoster(pool: Pool, token: string, server: string): Post {
  return async (data) => {
    const response = await pool.request({
      method: 'POST',
      path: HUB_BENCH_PATH,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams({ topic: BENCH_TOPIC, data }).toString(),
    });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${server} answered ${response.statusCode} to a publish`);
  };
}

/** A few updates to every subscriber before anything is measured. */
export async function warmUp(subscribers: SseSubscribers, post: Post): Promise<void> {
  const { done } = await subscribers.expect(WARMUP_UPDATES, false);
  for (let i = 0; i < WARMUP_UPDATES; i++) await post('0');
  await done;
}

/**
 * Latency without backlog: `LATENCY_UPDATES` updates, each POSTed `LATENCY_INTERVAL_MS` after the
 * previous one reached every subscriber, carrying its publish time. Every delivery's latency (ms).
 */
export async function latencies(subscribers: SseSubscribers, post: Post): Promise<number[]> {
  const all: number[] = [];
  for (let i = 0; i < LATENCY_UPDATES; i++) {
    const { done } = await subscribers.expect(1, true);
    await post(String(nowMicros()));
    all.push(...(await done).latencies!);
    await new Promise((resolve) => setTimeout(resolve, LATENCY_INTERVAL_MS));
  }
  return all;
}

/** Updates of one phase for `n` subscribers. */
export const phaseUpdates = (n: number): number => Math.max(20, Math.round(DELIVERIES_PER_PHASE / n));

export const BENCH_UPDATE = JSON.stringify({ '@id': '/books/1', '@type': 'Book', title: 'Bench', author: 'Hub' });

/** Deliveries/s with updates POSTed one after the other, each awaited: updates x n / (last delivery - first POST). */
export async function oneByOne(subscribers: SseSubscribers, post: Post, n: number): Promise<number> {
  const updates = phaseUpdates(n);
  const { done } = await subscribers.expect(updates, false);
  const start = nowMicros();
  for (let i = 0; i < updates; i++) await post(BENCH_UPDATE);
  return (updates * n) / (((await done).lastAt - start) / 1e6);
}
