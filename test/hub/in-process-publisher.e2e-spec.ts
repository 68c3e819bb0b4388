import { EntityManager } from '@mikro-orm/core';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ApiResource, HubDeliveryError, HubPublisher, MercureModule, Update } from 'nestjs-mercure';
import { MercureHub } from '../../lib/hub/mercure-hub';
import { MercureHubModule } from '../../lib/hub/mercure-hub.module';
import { makeToken, SECRET, subscribeUrl } from './helpers';
import { subscribe } from './sse-client';
import { Entity, PrimaryKey, Property, ReflectMetadataProvider } from '../support/mikro-orm-version';

@Entity()
@ApiResource({ mercure: true })
class Memo {
  @PrimaryKey()
  id!: number;

  @Property()
  text!: string;
}

const BOOK = 'https://example.com/books/1';

describe('MercureModule without publishUrl + MercureHubModule: in-process delivery', () => {
  let app: INestApplication;
  let hubUrl: string;

  beforeAll(async () => {
    @Module({
      imports: [
        MikroOrmModule.forRoot({ driver: LibSqlDriver, dbName: ':memory:', entities: [Memo], metadataProvider: ReflectMetadataProvider, allowGlobalContext: true }),
        MercureModule.forRoot({ baseUrl: 'https://example.com' }),
        MercureHubModule.forRoot({ publisherJwt: { key: SECRET }, anonymous: true }),
      ],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    await app.get(EntityManager).getConnection().execute('create table memo (id integer primary key autoincrement, text text not null)');
    hubUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1') + app.get(MercureHub).path;
  });
  afterAll(() => app.close());

  it('HubPublisher hands updates to the embedded hub, which validates them as over HTTP', async () => {
    const publisher = app.get(HubPublisher);
    const anonymous = await subscribe(subscribeUrl(hubUrl, ['https://example.com/books/{id}']));
    const authorized = await subscribe(subscribeUrl(hubUrl, ['https://example.com/books/{id}']), {
      Authorization: `Bearer ${await makeToken({ subscribe: ['*'] })}`,
    });
    const privateId = await publisher.publish(new Update(BOOK, '{"private":true}', { private: true }));
    const publicId = await publisher.publish(new Update(BOOK, '{"title":"x"}', { type: 'Book', retry: 3000 }));
    expect(await authorized.events(2)).toEqual([
      { kind: 'event', id: privateId, data: '{"private":true}' },
      { kind: 'event', id: publicId, event: 'Book', retry: 3000, data: '{"title":"x"}' },
    ]);
    expect(await anonymous.nextEvent()).toEqual({ kind: 'event', id: publicId, event: 'Book', retry: 3000, data: '{"title":"x"}' });
    const refused = await publisher.publish(new Update(BOOK, '', { id: '#not-allowed' })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HubDeliveryError);
    expect(refused).toMatchObject({ status: 400, retryable: false });
    anonymous.close();
    authorized.close();
  });

  it('an entity flushed with MikroORM reaches SSE subscribers of the embedded hub', async () => {
    const sse = await subscribe(subscribeUrl(hubUrl, ['*']));
    const em = app.get(EntityManager).fork();
    const memo = em.create(Memo, { text: 'Remember the milk' });
    await em.persist(memo).flush();
    const event = await sse.nextEvent();
    expect(event.id).toMatch(/^urn:uuid:/);
    expect(JSON.parse(event.data)).toMatchObject({ text: 'Remember the milk' });
    sse.close();
  });
});
