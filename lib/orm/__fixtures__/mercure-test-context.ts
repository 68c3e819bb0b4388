import { MikroORM } from '@mikro-orm/core';
import type { EventSubscriber, Options } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { HubPublisher } from '../../publisher/hub-publisher';
import { HubRegistry } from '../../publisher/hub-registry';
import { PublishQueue } from '../../publisher/publish-queue';
import type { PublishTransport } from '../../publisher/publish-transport';
import { IriConverter } from '../../resource/iri-converter';
import { JsonLdSerializer } from '../../resource/jsonld.serializer';
import { MercureUpdateFactory } from '../../resource/mercure-update.factory';
import { ResourceMetadataRegistry } from '../../resource/resource-metadata.registry';
import { UpdateRecorder } from '../../testing/update-recorder';
import { MercureFlushListener } from '../mercure-flush.listener';
import { MercureOutbox } from '../../outbox/mercure-outbox';
import { MercureResourcePublisher } from '../../publisher/resource-publisher';
import { MercureOutboxSchema } from '../../outbox/mercure-outbox.entity';
import type { ResolvedMercureOptions } from '../../mercure-options.resolver';
import { createSchema, ReflectMetadataProvider } from '../../../test/support/mikro-orm-version';
import { ALL_ENTITIES } from './entities';

export const BASE_URL = 'https://api.example.com';

export interface MercureTestContext {
  orm: MikroORM;
  /** What the default hub received. */
  recorder: UpdateRecorder;
  /** What the `audit` hub received. */
  auditRecorder: UpdateRecorder;
  hubs: HubRegistry;
  resources: ResourceMetadataRegistry;
  iris: IriConverter;
  serializer: JsonLdSerializer;
  listener: MercureFlushListener;
  /** The outbox (enabled with the `outbox` option). */
  outbox: MercureOutbox;
  /** Publishes by hand what the listener would. */
  resourcePublisher: MercureResourcePublisher;
  /** Waits until the listener handed its updates over and both hubs delivered them. */
  drain(): Promise<void>;
  /** Drains, then forgets what both hubs received. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface MercureTestContextOptions {
  /** A PostgreSQL URL; libsql in memory when absent. */
  postgresUrl?: string;
  schema?: string;
  waitForDelivery?: boolean;
  /** Outbox mode: updates go through the `mercure_outbox` table and the relay. */
  outbox?: boolean;
  /** Overrides of the relay's settings (short leases, alerts) for outbox mode. */
  outboxOptions?: Partial<ResolvedMercureOptions['delivery']['outbox']>;
  /** Replaces the default hub's transport (the recorder still records the `audit` hub). */
  transport?: PublishTransport;
  /** Leaves the listener out (for the benchmark's baseline). */
  withoutListener?: boolean;
  ormOptions?: Partial<Options>;
  /** Subscribers registered before the listener (their hooks run first, e.g. to delay an event). */
  subscribersBefore?: EventSubscriber[];
}

/** A real MikroORM with the fixture entities, and the listener wired as the module would wire it. */
export async function createMercureTestContext(options: MercureTestContextOptions = {}): Promise<MercureTestContext> {
  const orm = await MikroORM.init({
    ...(options.postgresUrl
      ? { driver: PostgreSqlDriver, clientUrl: options.postgresUrl, schema: options.schema }
      : { driver: LibSqlDriver, dbName: ':memory:' }),
    entities: options.outbox ? [...ALL_ENTITIES, MercureOutboxSchema] : ALL_ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    allowGlobalContext: true,
    debug: false,
    ...options.ormOptions,
  } as Options);
  if (options.postgresUrl && options.schema) {
    await orm.em.getConnection().execute(`create schema if not exists "${options.schema}"`);
  }
  await createSchema(orm);

  const recorder = new UpdateRecorder();
  const auditRecorder = new UpdateRecorder();
  const publisher = (name: string, transport: PublishTransport) =>
    new HubPublisher(name, undefined, new PublishQueue(transport, { hubName: name, retries: 0 }));
  const hubs = new HubRegistry(
    new Map([
      ['default', publisher('default', options.transport ?? recorder)],
      ['audit', publisher('audit', auditRecorder)],
    ]),
    'default',
  );
  const resources = new ResourceMetadataRegistry(orm);
  const iris = new IriConverter(resources, { baseUrl: BASE_URL });
  const serializer = new JsonLdSerializer(orm, resources, iris);
  const updates = new MercureUpdateFactory(resources, iris, serializer);
  const delivery = {
    mode: options.outbox ? 'outbox' : 'memory',
    waitForDelivery: options.waitForDelivery ?? false,
    shutdownTimeout: 5000,
    retryDelay: 10,
    maxRetryDelay: 200,
    outbox: { leaseDuration: 5000, sweepInterval: 200, batchSize: 100, concurrency: 16, alertAfter: 10_000, ...options.outboxOptions },
  };
  const outbox = new MercureOutbox(orm, hubs, { delivery } as unknown as ResolvedMercureOptions);
  const listener = new MercureFlushListener(orm, resources, updates, hubs, { delivery }, outbox, iris);
  for (const subscriber of options.subscribersBefore ?? []) {
    orm.em.getEventManager().registerSubscriber(subscriber);
  }
  if (options.withoutListener) {
    resources.initialize(hubs.names());
  } else {
    listener.onModuleInit();
  }
  outbox.onModuleInit();
  await outbox.onApplicationBootstrap();

  const drain = async () => {
    if (!(await outbox.whenIdle(10_000))) {
      throw new Error('The outbox relay did not become idle');
    }
    await listener.whenQueued();
    for (const hub of hubs.all()) {
      if (!(await hub.drain(5000))) {
        throw new Error(`Hub ${hub.name} did not drain`);
      }
    }
  };
  return {
    orm,
    recorder,
    auditRecorder,
    hubs,
    resources,
    iris,
    serializer,
    listener,
    outbox,
    resourcePublisher: new MercureResourcePublisher(orm, updates, hubs, outbox),
    drain,
    async reset() {
      await drain();
      recorder.clear();
      auditRecorder.clear();
    },
    async close() {
      listener.onModuleDestroy();
      await outbox.beforeApplicationShutdown();
      listener.onApplicationShutdown();
      await Promise.all(hubs.all().map((hub) => hub.close()));
      if (options.postgresUrl && options.schema) {
        await orm.em.getConnection().execute(`drop schema if exists "${options.schema}" cascade`);
      }
      await orm.close(true);
    },
  };
}
