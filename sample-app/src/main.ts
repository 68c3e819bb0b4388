import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { loadConfig } from './config';
import { configureApp } from './setup';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false });
  configureApp(app);
  await app.listen(config.port);
  // Origin and path only: a hub URL may carry credentials.
  const external = config.mercurePublishUrl && new URL(config.mercurePublishUrl);
  const hub = external ? external.origin + external.pathname : `${config.publicUrl}/.well-known/mercure (embedded)`;
  Logger.log(`Sample app on ${config.publicUrl}, Mercure hub ${hub}`, 'SampleApp');
}

bootstrap().catch((error) => {
  // Start-up errors (bad configuration) must stop the process with a readable message.
  Logger.error(error instanceof Error ? error.message : String(error), undefined, 'SampleApp');
  process.exit(1);
});
