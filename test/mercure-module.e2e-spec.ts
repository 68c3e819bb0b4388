import { EntityManager, MikroORM } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { MikroOrmModule, MikroOrmModuleSyncOptions } from '@mikro-orm/nestjs';
import { ConsoleLogger, Controller, Get, INestApplication, Injectable, Module, Post, Res } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Response } from 'express';
import { HubPublisher, HubRegistry, MercureAuthorizationModule, MercureDiscovery, MercureModule, Update } from 'nestjs-mercure';
import { MercureTestingModule, UpdateRecorder } from 'nestjs-mercure/testing';
import { AuditEntry, Note } from './fixtures/note.entity';
import { HubSink } from './support/hub-sink';
import { createSchema, NO_CONNECTION_AT_INIT, ReflectMetadataProvider } from './support/mikro-orm-version';

const orm = (): MikroOrmModuleSyncOptions => ({
  driver: LibSqlDriver,
  dbName: ':memory:',
  entities: [Note, AuditEntry],
  metadataProvider: ReflectMetadataProvider,
  allowGlobalContext: true,
});

@Controller('notes')
class NotesController {
  constructor(private readonly em: EntityManager) {}

  @Post()
  @MercureDiscovery('audit')
  async create() {
    const note = this.em.create(Note, { text: 'Remember the milk', secretRemark: 'hidden' });
    await this.em.persist(note).flush();
    return { id: note.id };
  }

  @Get('plain')
  plain() {
    return { ok: true };
  }

  @Get('linked')
  @MercureDiscovery()
  linked(@Res({ passthrough: true }) res: Response) {
    res.setHeader('Link', '</docs>; rel="help"');
    return { ok: true };
  }
}

@Injectable()
class MercureConfig {
  constructor(readonly defaultUrl: string, readonly auditUrl: string) {}
}

async function boot(imports: any[], providers: any[] = [], controllers: any[] = [NotesController]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports, controllers, providers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

async function url(app: INestApplication, path: string): Promise<string> {
  return (await app.getUrl()).replace('[::1]', '127.0.0.1') + path;
}

describe('MercureModule in a Nest app', () => {
  const sinks = { default: new HubSink(), audit: new HubSink() };
  let app: INestApplication;

  beforeAll(async () => {
    await sinks.default.start();
    await sinks.audit.start();
    @Module({ providers: [{ provide: MercureConfig, useValue: new MercureConfig(sinks.default.url, sinks.audit.url) }], exports: [MercureConfig] })
    class ConfigModule {}
    app = await boot([
      MikroOrmModule.forRoot(orm()),
      MercureModule.forRootAsync({
        imports: [ConfigModule],
        inject: [MercureConfig],
        useFactory: (config: MercureConfig) => ({
          baseUrl: 'https://notes.example.com',
          discovery: 'decorated',
          hubs: {
            main: { publishUrl: config.defaultUrl, jwt: { token: 'main-token' } },
            audit: { publishUrl: config.auditUrl, subscribeUrl: 'https://audit.example.com/hub', jwt: () => 'audit-token' },
          },
        }),
      }),
    ]);
    await createSchema(app.get(MikroORM));
  });

  afterAll(async () => {
    await app.close();
    await sinks.default.stop();
    await sinks.audit.stop();
  });

  it('publishes to the hub the resource names, with every field in order', async () => {
    const response = await fetch(await url(app, '/notes'), { method: 'POST' });
    expect(response.status).toBe(201);
    await sinks.audit.waitForCount(1);
    // Anything misrouted to the main hub was queued with it: let that queue empty before looking.
    expect(await app.get(HubRegistry).get('main').drain(5000)).toBe(true);
    expect(sinks.default.answered).toBe(0);
    const [publish] = sinks.audit.received;
    expect(publish.headers.authorization).toBe('Bearer audit-token');
    expect(publish.fields).toEqual([
      ['topic', 'https://notes.example.com/notes/1'],
      ['topic', 'urn:notes:all'],
      ['data', '{"@id":"/notes/1","@type":"Note","id":1,"text":"Remember the milk","version":1}'],
      ['private', 'on'],
      ['id', 'note-1-1'],
      ['type', 'note'],
      ['retry', '1500'],
    ]);
  });

  it('adds the Link header only where asked, for the hub asked, after an existing one', async () => {
    const created = await fetch(await url(app, '/notes'), { method: 'POST' });
    expect(created.headers.get('link')).toBe('<https://audit.example.com/hub>; rel="mercure"');
    expect((await fetch(await url(app, '/notes/plain'))).headers.get('link')).toBeNull();
    const linked = await fetch(await url(app, '/notes/linked'));
    expect(linked.headers.get('link')).toBe(`</docs>; rel="help", <${sinks.default.url}>; rel="mercure"`);
  });

  it("with discovery 'decorated', leaves responses no handler made alone", async () => {
    const missing = await fetch(await url(app, '/nothing-here'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('link')).toBeNull();
  });

  it('lets services publish by hand through the default hub and the registry', async () => {
    const id = await app.get(HubPublisher).publish(new Update('https://notes.example.com/manual', 'hello'));
    expect(id).toMatch(/^urn:uuid:sink-/);
    expect(sinks.default.received.at(-1)?.body).toBe('topic=https%3A%2F%2Fnotes.example.com%2Fmanual&data=hello');
    expect(app.get(HubRegistry).names()).toEqual(['main', 'audit']);
  });
});

describe("MercureModule discovery 'all'", () => {
  it('puts the Link header on every response, a 404 for an unknown route included, once', async () => {
    const app = await boot([
      MikroOrmModule.forRoot(orm()),
      MercureModule.forRoot({
        baseUrl: 'https://notes.example.com',
        publishUrl: 'http://127.0.0.1:9/hub',
        jwt: { token: 't' },
        hubs: { audit: { publishUrl: 'http://127.0.0.1:9/audit', jwt: { token: 't' } } },
      }),
    ]);
    try {
      for (const path of ['/nothing-here', '/notes/plain']) {
        const response = await fetch(await url(app, path), { headers: { origin: 'https://app.example.com' } });
        expect([path, response.headers.get('link')]).toEqual([path, '<http://127.0.0.1:9/hub>; rel="mercure"']);
      }
      const linked = await fetch(await url(app, '/notes/linked'));
      expect(linked.headers.get('link')).toBe('</docs>; rel="help", <http://127.0.0.1:9/hub>; rel="mercure"');
    } finally {
      await app.close();
    }
  });
});

describe('MercureModule start-up errors', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  async function bootError(mercure: any, controllers: any[] = [NotesController]): Promise<Error> {
    try {
      const app = await boot([MikroOrmModule.forRoot({ ...orm(), ...NO_CONNECTION_AT_INIT }), mercure], [], controllers);
      await app.close();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected start-up to fail');
  }

  it('names the missing hub URL and its variable', async () => {
    delete process.env.MERCURE_PUBLISH_URL;
    const error = await bootError(MercureModule.forRoot({ baseUrl: 'https://x.example.com' }));
    expect(error.message).toContain('`publishUrl` (env MERCURE_PUBLISH_URL)');
    expect(error.message).toContain('MercureHubModule');
  });

  it('names a @MercureDiscovery hub that is not configured', async () => {
    @Controller('typo')
    class TypoController {
      @Get()
      @MercureDiscovery('adit')
      get() {
        return {};
      }
    }
    const error = await bootError(
      MercureModule.forRoot({
        baseUrl: 'https://x.example.com',
        hubs: { main: { publishUrl: 'http://127.0.0.1:9/hub', jwt: { token: 't' } }, audit: { publishUrl: 'http://127.0.0.1:9/hub', jwt: { token: 't' } } },
      }),
      [TypoController],
    );
    expect(error.message).toContain("@MercureDiscovery('adit') on TypoController.get() names a hub that is not configured");
  });

  it('names a resource hub that is not configured', async () => {
    const error = await bootError(
      MercureModule.forRoot({ baseUrl: 'https://x.example.com', publishUrl: 'http://127.0.0.1:9/hub', jwt: { secret: 'top-secret-value' } }),
      [], // NotesController's @MercureDiscovery('audit') would fail the boot too, maybe first
    );
    expect(error.message).toContain('AuditEntry');
    expect(error.message).toContain('audit');
    expect(error.message).not.toContain('top-secret-value');
  });
});

describe('MercureAuthorizationModule at start-up', () => {
  it('warns, without the secret, when browsers cannot send the subscriber cookie to the hub', async () => {
    const warnings: string[] = [];
    class Capture extends ConsoleLogger {
      warn(message: unknown) {
        warnings.push(String(message));
      }
    }
    const secret = 'a-publisher-secret-of-at-least-32-bytes';
    // The default hub shares no parent domain with the API; the audit hub is on the API's host.
    const hub = (publishUrl: string) => ({ publishUrl, jwt: { secret } });
    const mercure = MercureModule.forRoot({
      baseUrl: 'http://localhost:3000',
      hubs: { default: hub('http://127.0.0.1:9/.well-known/mercure'), audit: hub('http://localhost:9/.well-known/mercure') },
      discovery: false,
    });
    // The service is built while the module compiles, so the logger is set before that.
    const moduleRef = await Test.createTestingModule({ imports: [MikroOrmModule.forRoot(orm()), mercure, MercureAuthorizationModule.forRoot()] })
      .setLogger(new Capture())
      .compile();
    const app = moduleRef.createNestApplication({ logger: new Capture() });
    await app.init();
    await app.close();
    expect(warnings.filter((w) => w.includes('shares no parent domain'))).toEqual([
      expect.stringMatching(/^Hub "default": the hub at 127\.0\.0\.1:9 shares no parent domain with the API \(localhost:3000/),
    ]);
    expect(warnings.join('\n')).not.toContain(secret);
  });
});

describe('MercureTestingModule', () => {
  it('records what would be published, by the time the request returns', async () => {
    const app = await boot([MikroOrmModule.forRoot(orm()), MercureTestingModule.forRoot({ baseUrl: 'http://test', hubs: ['audit'] })]);
    try {
      await createSchema(app.get(MikroORM));
      await fetch(await url(app, '/notes'), { method: 'POST' });
      const recorder = app.get(UpdateRecorder);
      expect(recorder.topics()).toEqual(['http://test/notes/1']);
      expect(recorder.updates[0]).toMatchObject({ private: true, type: 'note', retry: 1500 });
      expect(JSON.parse(recorder.updates[0].data)).not.toHaveProperty('secretRemark');
    } finally {
      await app.close();
    }
  });
});
