import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../sample-app/src/app.module';
import { loadConfig, SampleAppConfig } from '../../sample-app/src/config';
import { configureApp } from '../../sample-app/src/setup';

export interface RunningSampleApp {
  app: INestApplication;
  config: SampleAppConfig;
  /** `http://127.0.0.1:<port>` */
  url: string;
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<Response>;
}

/**
 * Boots the real sample app (the module `npm start` runs, configured the same way) on a free port.
 * `env` is read like the process environment; SQLite in memory unless it says otherwise.
 */
export async function startSampleApp(env: Record<string, string | undefined> = {}): Promise<RunningSampleApp> {
  const config = loadConfig({ SQLITE_PATH: ':memory:', PORT: '0', PUBLIC_URL: 'http://books.test', ...env });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = configureApp(moduleRef.createNestApplication({ bodyParser: false, logger: process.env.TEST_LOGS ? ['error', 'warn'] : false }));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    url,
    request: (method, path, body, contentType = 'application/json') =>
      fetch(url + path, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': contentType },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}
