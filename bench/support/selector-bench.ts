/**
 * What the selector benches (URI templates, URL patterns) share: the embedded hub on a real HTTP
 * server, subscriptions opened in batches over SSE, and in-process publishes timed one by one.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { performance } from 'perf_hooks';
import type { MercureHub } from '../../lib/hub/mercure-hub';
import { percentile } from './stats';

export interface HubOnHttp {
  url: string;
  streams: http.IncomingMessage[];
  close(): Promise<void>;
}

/** Serves a started hub on a free port; `close()` ends its streams, the hub and the server. */
export async function serveHub(hub: MercureHub): Promise<HubOnHttp> {
  await hub.start();
  const server = http.createServer(hub.handler);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const streams: http.IncomingMessage[] = [];
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${hub.path}`,
    streams,
    async close() {
      for (const res of streams) res.destroy();
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens an SSE subscription and resolves with its response (body drained). */
export function openStream(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      resolve(res);
    });
  });
}

/**
 * Subscribes `count` selectors (`selector(i)`) as query parameter `param`, `perSubscription` to a
 * connection, 20 connections at a time; keeps the accepted streams, returns how many were refused.
 */
export async function subscribeAll(
  hub: HubOnHttp,
  param: string,
  count: number,
  perSubscription: number,
  selector: (i: number) => string,
): Promise<number> {
  let refused = 0;
  for (let offset = 0; offset < count; offset += perSubscription * 20) {
    const batch: Promise<http.IncomingMessage>[] = [];
    for (let c = offset; c < Math.min(count, offset + perSubscription * 20); c += perSubscription) {
      const url = new URL(hub.url);
      for (let i = c; i < Math.min(count, c + perSubscription); i++) url.searchParams.append(param, selector(i));
      batch.push(openStream(url.toString()));
    }
    for (const res of await Promise.all(batch)) {
      if (res.statusCode === 200) hub.streams.push(res);
      else refused++;
    }
  }
  return refused;
}

/** Publishes `count` updates in-process, one topic each, and returns p10/p50/p90 in ms. */
export async function timePublishes(hub: MercureHub, count: number, topic: (i: number) => string) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await hub.publish({ topics: [topic(i)], data: 'x' });
    times.push(performance.now() - t0);
  }
  return { p10: percentile(times, 10), p50: percentile(times, 50), p90: percentile(times, 90) };
}

/** The table columns of a `timePublishes` result: p50, p10-p90 in µs, and p50 as a ratio to `baseline`. */
export function publishCostColumns(r: { p10: number; p50: number; p90: number }, baseline: number, digits: number) {
  return {
    'publish p50 (µs)': Math.round(r.p50 * 1000),
    'p10-p90 (µs)': `${Math.round(r.p10 * 1000)}-${Math.round(r.p90 * 1000)}`,
    'p50 vs none': +(r.p50 / baseline).toFixed(digits),
  };
}
