/**
 * The cluster bench's server: `MercureHubModule` in a Nest (Express) app on the Redis transport,
 * run on `workers` processes sharing `port` with `runClustered` (as users run it on every core).
 * Each worker prints `listening <pid>` once it listens. Args: port, workers, Redis URL, key prefix.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'http';
import { runClustered } from '../../lib/cluster/run-clustered';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import { HUB_BENCH_KEY } from './hub-bench-server';

const [port, workers, url, prefix] = process.argv.slice(2);

async function start(): Promise<void> {
  class ClusterBenchModule {}
  Module({
    imports: [
      MercureHubModule.forRoot({
        anonymous: true,
        publisherJwt: { key: HUB_BENCH_KEY, algorithm: 'HS256' },
        transport: { type: 'redis', url, prefix },
      }),
    ],
  })(ClusterBenchModule);
  const app = await NestFactory.create(ClusterBenchModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  // As in hub.bench: idle publisher connections outlive every phase.
  (app.getHttpServer() as Server).keepAliveTimeout = 120_000;
  await app.listen(Number(port), '127.0.0.1');
  console.log(`listening ${process.pid}`);
}

runClustered(start, { workers: Number(workers), shutdownTimeout: 10_000 });
