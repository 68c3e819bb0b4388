import { existsSync } from 'fs';
import { createServer } from 'net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../sample-app/src/app.module';
import { loadConfig } from '../../sample-app/src/config';
import { configureApp } from '../../sample-app/src/setup';

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Browser tests are reported as skipped on a machine without Chromium; in CI (CI set) they always
 * run, and fail if it is missing.
 */
export const describeWithChromium = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}. Install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this), or set CHROMIUM_PATH.',
    );
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The sample app as `npm start` runs it, on `port`, with these extra environment variables. */
export async function startBrowserApp(port: number, env: Record<string, string>): Promise<INestApplication> {
  const config = loadConfig({ PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, ...env });
  const app = await NestFactory.create(AppModule.forRoot(config), { bodyParser: false, logger: ['error', 'warn'] });
  configureApp(app);
  await app.listen(port, '127.0.0.1');
  return app;
}
