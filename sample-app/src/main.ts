import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { runClustered } from 'nestjs-mercure';
import { AppModule } from './app.module';
import { loadConfig, SampleAppConfig } from './config';
import { configureApp } from './setup';

async function bootstrap(config: SampleAppConfig): Promise<void> {
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false });
  configureApp(app);
  await app.listen(config.port);
  // Origin and path only: a hub URL may carry credentials.
  const external = config.mercurePublishUrl && new URL(config.mercurePublishUrl);
  const hub = external ? external.origin + external.pathname : `${config.publicUrl}/.well-known/mercure (embedded)`;
  Logger.log(`Sample app on ${config.publicUrl}, Mercure hub ${hub}`, 'SampleApp');
}

function fail(error: unknown): never {
  // Start-up errors (bad configuration) must stop the process with a readable message.
  Logger.error(error instanceof Error ? error.message : String(error), undefined, 'SampleApp');
  process.exit(1);
}

function main(): void {
  let config: SampleAppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    fail(error);
  }
  if (config.workers > 1) {
    // CLUSTER_WORKERS: this process forks the workers, which share the port (see the README).
    runClustered(() => bootstrap(config).catch(fail), { workers: config.workers });
  } else {
    bootstrap(config).catch(fail);
  }
}

main();
