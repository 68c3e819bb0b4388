import { Book, Cat, Dog, Note, Notice, Tag } from '../orm/__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext } from '../orm/__fixtures__/mercure-test-context';
import { MercureUpdateFactory } from './mercure-update.factory';

describe('MercureUpdateFactory', () => {
  let ctx: MercureTestContext;
  let factory: MercureUpdateFactory;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ withoutListener: true });
    factory = new MercureUpdateFactory(ctx.resources, ctx.iris, ctx.serializer);
  });
  afterAll(() => ctx.close());

  const create = (entity: object, kind: 'create' | 'update' | 'delete') => factory.create(entity, kind, () => ctx.orm.em.fork());
  const book = () => Object.assign(new Book(), { id: 3, title: 'Dune' });

  it('publishes the JSON-LD document on the absolute IRI', async () => {
    const entity = book();
    const change = (await create(entity, 'update'))!;
    const { hub, iri, kind } = change;
    const update = change.toUpdate();
    expect({ hub, iri, kind }).toEqual({ hub: undefined, iri: '/books/3', kind: 'update' });
    expect(update.topics).toEqual([`${BASE_URL}/books/3`]);
    expect(update.data).toBe(JSON.stringify(await ctx.serializer.serialize(entity)));
    expect(update.private).toBe(false);
    expect([update.id, update.type, update.retry]).toEqual([undefined, undefined, undefined]);
  });

  it('publishes exactly {"@id", "@type"} for a delete', async () => {
    expect((await create(book(), 'delete'))!.toUpdate().data).toBe('{"@id":"/books/3","@type":"Book"}');
    expect((await create(Object.assign(new Dog(), { id: 9 }), 'delete'))!.toUpdate().data).toBe('{"@id":"/animals/9","@type":"Animal"}');
  });

  it('copies private, id, type, retry, hub and applies groups', async () => {
    const note = Object.assign(new Note(), { id: 2, text: 'hello', reviewer: 'ann' });
    const change = (await create(note, 'create'))!;
    const { hub } = change;
    const update = change.toUpdate();
    expect(hub).toBe('audit');
    expect(update).toMatchObject({ private: true, id: 'urn:note:2', type: 'note', retry: 2500, topics: [`${BASE_URL}/secret-notes/2`] });
    expect(JSON.parse(update.data)).toEqual({ '@id': '/secret-notes/2', '@type': 'Note', id: 2, text: 'hello' });
    expect((await create(note, 'delete'))!.toUpdate()).toMatchObject({ private: true, data: '{"@id":"/secret-notes/2","@type":"Note"}' });
  });

  it('resolves relative topics against the base URL and keeps the others', async () => {
    const cat = Object.assign(new Cat(), { id: 1, name: 'Tom', kind: 'cat' });
    expect((await create(cat, 'create'))!.toUpdate().topics).toEqual([`${BASE_URL}/cats`, 'urn:cats']);
  });

  it('freezes the topics of every update (the IRI, a static list, a topics function), never the options themselves', async () => {
    const cat = Object.assign(new Cat(), { id: 1, name: 'Tom', kind: 'cat' });
    const notice = Object.assign(new Notice(), { id: 4, headline: 'Hi', published: true });
    for (const entity of [book(), cat, notice]) {
      const update = (await create(entity, 'update'))!.toUpdate();
      expect(Object.isFrozen(update.topics)).toBe(true);
      expect(Object.isFrozen(update)).toBe(true);
    }
    const options = ctx.resources.getByClass(Cat)!.options.mercure as { topics: string[] };
    expect(Array.isArray(options.topics) && !Object.isFrozen(options.topics)).toBe(true);
  });

  it('lets a mercure function decide per entity, and a data function replace the payload', async () => {
    const notice = Object.assign(new Notice(), { id: 4, headline: 'Hi', published: false });
    expect((await create(notice, 'create'))).toBeUndefined();
    notice.published = true;
    const update = (await create(notice, 'create'))!.toUpdate();
    expect(update.topics).toEqual([`${BASE_URL}/notices/4`, `${BASE_URL}/notices`]);
    expect(update.data).toBe('{"headline":"Hi","kind":"create","iri":"/notices/4"}');
  });

  it('snapshots the JSON-LD when created, so later changes of the entity do not leak into it', async () => {
    const entity = Object.assign(book(), { address: undefined });
    const change = (await create(entity, 'update'))!;
    entity.title = 'Changed after the flush';
    expect(JSON.parse(change.toUpdate().data)).toMatchObject({ title: 'Dune' });
    expect(change.toUpdate()).toBe(change.toUpdate());
  });

  it('publishes nothing for resources without mercure', async () => {
    expect(factory.publishesClass(Tag)).toBe(false);
    expect(factory.publishesClass(Book)).toBe(true);
    expect(factory.publishesClass(Dog)).toBe(true);
    expect((await create(Object.assign(new Tag(), { id: 1, name: 'x' }), 'create'))).toBeUndefined();
  });
});
