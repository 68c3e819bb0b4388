/**
 * One SSE server of the hub bench, in its own fresh process (forked by `hub.bench.ts`): the raw
 * `node:http` baseline, the bare `MercureHub` on `node:http`, `MercureHubModule` in a Nest
 * (Express or Fastify) app as users run it (mounted on the HTTP server, the default, or with
 * `mount: 'framework'` as framework middleware), the hub in a plain Fastify server (onRequest
 * hook), or the raw handler mounted in Nest (to tell the mounting cost from the hub's own). Sends `{ port }` once listening, then
 * `{ memory }` on `'memory'` and exits on `'stop'`.
 */
import 'reflect-metadata';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MercureHub, type MercureHubCoreOptions } from '../../lib/hub/mercure-hub';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import { rawSseHandler } from './raw-sse-server';

export const HUB_BENCH_VARIANTS = [
  'raw node:http',
  'bare hub',
  'Nest (Express)',
  'Nest (Fastify)',
  'Nest (Express) framework mount',
  'Nest (Fastify) framework mount',
  'Fastify',
  'raw in Nest (Express)',
] as const;
export type HubBenchVariant = (typeof HUB_BENCH_VARIANTS)[number];
export const HUB_BENCH_KEY = 'hub-bench-publisher-secret-of-at-least-32-bytes!';
export const HUB_BENCH_PATH = '/.well-known/mercure';

const HUB_OPTIONS: MercureHubCoreOptions = {
  anonymous: true,
  publisherJwt: { key: HUB_BENCH_KEY, algorithm: 'HS256' },
};

type Stop = () => Promise<void>;

// The publisher's pooled connections idle between phases: longer than any phase, so that a
// server closing an idle one never races a POST (ECONNRESET) on a loaded machine.
const KEEP_ALIVE_MS = 120_000;

async function listen(server: http.Server): Promise<number> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  return (server.address() as AddressInfo).port;
}

/** `mount`: the hub at the server level (the default), as framework middleware, or the raw handler as Express middleware. */
async function nest(platform: 'express' | 'fastify', mount: 'server' | 'framework' | 'raw'): Promise<{ port: number; stop: Stop }> {
  const imports = mount === 'raw' ? [] : [MercureHubModule.forRoot({ ...HUB_OPTIONS, mount })];
  class BenchAppModule {}
  Module({ imports })(BenchAppModule);
  let app: INestApplication;
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(BenchAppModule, new FastifyAdapter({ keepAliveTimeout: KEEP_ALIVE_MS }), { logger: false });
  } else {
    app = await NestFactory.create(BenchAppModule, { logger: false });
  }
  if (mount === 'raw') app.use(rawSseHandler(HUB_BENCH_PATH));
  (app.getHttpServer() as http.Server).keepAliveTimeout = KEEP_ALIVE_MS;
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { port, stop: () => app.close() };
}

async function start(variant: HubBenchVariant): Promise<{ port: number; stop: Stop }> {
  if (variant === 'raw node:http') {
    const server = http.createServer(rawSseHandler(HUB_BENCH_PATH));
    return { port: await listen(server), stop: async () => void server.closeAllConnections() };
  }
  if (variant === 'Nest (Express)') return nest('express', 'server');
  if (variant === 'Nest (Fastify)') return nest('fastify', 'server');
  if (variant === 'Nest (Express) framework mount') return nest('express', 'framework');
  if (variant === 'Nest (Fastify) framework mount') return nest('fastify', 'framework');
  if (variant === 'raw in Nest (Express)') return nest('express', 'raw');
  const hub = new MercureHub({ ...HUB_OPTIONS, logger: { warn: () => undefined, error: (m) => console.error(m) } });
  await hub.start();
  if (variant === 'bare hub') {
    const server = http.createServer(hub.handler);
    return { port: await listen(server), stop: () => hub.close() };
  }
  // Fastify: the hub answers its path from an onRequest hook, on the raw request and response.
  const { default: fastify } = await import('fastify');
  const app = fastify({ logger: false, keepAliveTimeout: KEEP_ALIVE_MS });
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith(hub.path)) return done();
    reply.hijack();
    hub.handle(request.raw, reply.raw);
  });
  await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
  return { port: (app.server.address() as AddressInfo).port, stop: () => hub.close() };
}

/**
 * Memory once the collector is done: V8 gives freed pages back to the system after a collection,
 * from a background thread, so an RSS read right after `gc()` still counts some of them. Read at
 * once, the start-up garbage freed after the "before" reading made RSS per subscriber negative at
 * 1k subscribers. Collect, pause, three times.
 */
async function settledMemory(gc: () => void): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage();
}

function childMain(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  const variant = process.argv[2] as HubBenchVariant;
  start(variant).then(
    ({ port, stop }) => {
      process.send!({ port });
      process.on('message', (message) => {
        if (message === 'memory') {
          settledMemory(gc).then((memory) => process.send!({ memory }));
        } else if (message === 'stop') {
          stop().finally(() => process.exit(0));
        }
      });
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

if (require.main === module) childMain();
