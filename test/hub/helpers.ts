import * as http from 'http';
import { AddressInfo } from 'net';
import { Body, Controller, INestApplication, Module, Post, DynamicModule } from '@nestjs/common';
import type { NestApplicationOptions } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { MercureHub } from '../../lib/hub/mercure-hub';
import type { MercureHubLogger } from '../../lib/hub/hub-logger';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import type { MercureHubModuleOptions } from '../../lib/hub/mercure-hub.options';

export const SECRET = '!ChangeThisMercureHubJWTSecretKey!';
export const SUBSCRIBER_SECRET = '!ChangeThisSubscriberSecretKey!!!';

export interface MercureClaim {
  publish?: unknown;
  subscribe?: unknown;
  payload?: unknown;
}

/** Signs a token (HS256 with `SECRET` unless told otherwise). */
export async function makeToken(
  mercure: MercureClaim | undefined,
  options: { secret?: string; exp?: number; nbf?: number; alg?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(mercure === undefined ? {} : { mercure }).setProtectedHeader({ alg: options.alg ?? 'HS256' });
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** A token with `alg: none`, which a hub must refuse. */
export function unsignedToken(mercure: MercureClaim): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ mercure })}.`;
}

export const publisherToken = () => makeToken({ publish: ['*'] });

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (node:http, no connection reuse). */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.end(options.body);
  });
}

export type FormFields = Record<string, string | string[] | undefined>;

export function form(fields: FormFields): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  }
  return params.toString();
}

/** POSTs a publish form; `token` null sends no Authorization header. */
export async function publish(
  hubUrl: string,
  fields: FormFields,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const auth = token === null ? undefined : (token ?? (await publisherToken()));
  return request(hubUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(auth !== undefined && { Authorization: `Bearer ${auth}` }),
      ...headers,
    },
    body: form(fields),
  });
}

/** Publishes and expects 200; returns the id. */
export async function publishOk(hubUrl: string, fields: FormFields): Promise<string> {
  const result = await publish(hubUrl, fields);
  if (result.status !== 200) throw new Error(`publish failed: ${result.status} ${result.body}`);
  return result.body;
}

export function subscribeUrl(hubUrl: string, topics: string[], extra: Record<string, string> = {}): string {
  const url = new URL(hubUrl);
  for (const t of topics) url.searchParams.append('topic', t);
  for (const [k, v] of Object.entries(extra)) url.searchParams.append(k, v);
  return url.toString();
}

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown): unknown {
    return { received: body };
  }
}

export interface NestHub {
  app: INestApplication;
  hub: MercureHub;
  baseUrl: string;
  hubUrl: string;
  close(): Promise<void>;
}

/** Boots a Nest app (Express) with the hub and a JSON echo route, listening on a free port. */
export async function startNestHub(
  hubModule: DynamicModule | MercureHubModuleOptions,
  appOptions: NestApplicationOptions & { globalPrefix?: string } = {},
): Promise<NestHub> {
  const imported = 'module' in hubModule ? (hubModule as DynamicModule) : MercureHubModule.forRoot(hubModule);
  @Module({ imports: [imported], controllers: [EchoController] })
  class TestAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const { globalPrefix, ...options } = appOptions;
  const app = moduleRef.createNestApplication({ logger: false, ...options });
  if (globalPrefix) app.setGlobalPrefix(globalPrefix);
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const hub = app.get(MercureHub);
  return { app, hub, baseUrl, hubUrl: baseUrl + hub.path, close: () => app.close() };
}

export interface BareHub {
  server: http.Server;
  hub: MercureHub;
  baseUrl: string;
  hubUrl: string;
  close(): Promise<void>;
}

/** The framework-free hub on a bare node:http server. */
export async function startBareHub(options: MercureHubModuleOptions, logger?: MercureHubLogger): Promise<BareHub> {
  const hub = new MercureHub({ ...options, logger: logger ?? { warn: () => undefined, error: () => undefined } });
  await hub.start();
  const server = http.createServer(hub.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    server,
    hub,
    baseUrl,
    hubUrl: baseUrl + hub.path,
    close: async () => {
      await hub.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logger that keeps every line, by level. */
export class RecordingLogger implements MercureHubLogger {
  readonly lines: { level: 'debug' | 'log' | 'warn' | 'error'; message: string; stack?: string }[] = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string, stack?: string): void {
    this.lines.push({ level: 'error', message, stack });
  }
  at(level: 'debug' | 'log' | 'warn' | 'error'): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.message);
  }
  clear(): void {
    this.lines.length = 0;
  }
}
