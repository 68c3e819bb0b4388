import { serialize, wrap } from '@mikro-orm/core';
import { Address, Book, Dog, OrderLine, Publisher, Review, Tag } from '../orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../orm/__fixtures__/mercure-test-context';

describe('JsonLdSerializer', () => {
  let ctx: MercureTestContext;
  let bookId: number;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ withoutListener: true });
    const em = ctx.orm.em.fork();
    const publisher = em.create(Publisher, { name: 'Chilton' });
    const book = em.create(Book, {
      title: 'Dune',
      author: 'Frank Herbert',
      secret: 's3cr3t',
      internalNote: 'reprint',
      publishedAt: new Date('1965-08-01T00:00:00.000Z'),
      address: Object.assign(new Address(), { street: '1 Arrakis Way', city: 'Arrakeen', doorCode: '0000' }),
      metadata: { pages: 412, formats: ['hardcover'] },
      publisher,
    });
    book.tags.add(em.create(Tag, { name: 'sf' }), em.create(Tag, { name: 'classic' }));
    em.create(Review, { book, rating: 5, body: 'Great' });
    await em.flush();
    bookId = book.id;
  });
  afterAll(() => ctx.close());

  it('writes @id and @type first, then the properties; relations to resources as IRIs', async () => {
    const em = ctx.orm.em.fork();
    const book = await em.findOneOrFail(Book, bookId, { populate: ['tags', 'reviews'] });
    const document = await ctx.serializer.serialize(book);
    expect(document).toEqual({
      '@id': `/books/${bookId}`,
      '@type': 'Book',
      id: bookId,
      title: 'Dune',
      author: 'Frank Herbert',
      isbn: null,
      internalNote: 'reprint',
      publishedAt: '1965-08-01T00:00:00.000Z',
      address: { street: '1 Arrakis Way', city: 'Arrakeen' },
      metadata: { pages: 412, formats: ['hardcover'] },
      publisher: book.publisher!.id,
      tags: book.tags.getItems().map((tag) => `/tags/${tag.id}`),
      reviews: [`/reviews/${book.reviews[0].id}`],
    });
    expect(Object.keys(document).slice(0, 3)).toEqual(['@id', '@type', 'id']);
  });

  it('shares nothing mutable with the entity', async () => {
    const book = await ctx.orm.em.fork().findOneOrFail(Book, bookId);
    const document = await ctx.serializer.serialize(book);
    book.metadata!.formats!.push('paperback');
    expect(document.metadata).toEqual({ pages: 412, formats: ['hardcover'] });
  });

  it('gives serialize() callers arrays of their own; the flush snapshot shares one frozen empty array, same JSON', async () => {
    const em = ctx.orm.em.fork();
    const [a, b] = [em.create(Book, { title: 'A' }), em.create(Book, { title: 'B' })];
    await em.flush();
    const resource = ctx.resources.getByClass(Book)!;
    const own = await ctx.serializer.serialize(a);
    (own.tags as string[]).push('/tags/1'); // a caller's document is theirs to change
    const [snapA, snapB] = [a, b].map((book) => ctx.serializer.serializeLoadedResource(book, resource, `/books/${book.id}`, undefined)!);
    expect(snapA.tags).toBe(snapB.reviews);
    expect(Object.isFrozen(snapA.tags)).toBe(true);
    expect(JSON.stringify(snapA)).toBe(JSON.stringify(await ctx.serializer.serialize(a)));
  });

  it('never includes hidden properties (entity or embeddable), whatever the groups', async () => {
    const book = await ctx.orm.em.fork().findOneOrFail(Book, bookId);
    for (const groups of [undefined, ['admin'], []]) {
      const json = JSON.stringify(await ctx.serializer.serialize(book, { groups }));
      expect(json).not.toContain('s3cr3t');
      expect(json).not.toContain('secret');
      expect(json).not.toContain('doorCode');
    }
  });

  it('keeps the scalar properties exactly as MikroORM serialize() gives them', async () => {
    const book = await ctx.orm.em.fork().findOneOrFail(Book, bookId);
    const ours = await ctx.serializer.serialize(book);
    const theirs = JSON.parse(JSON.stringify(wrap(book).serialize()));
    const relations = ['publisher', 'tags', 'reviews'];
    const strip = (doc: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('@') && !relations.includes(key)));
    expect(strip(ours)).toEqual(strip(theirs));
  });

  it('loads uninitialized collections (always arrays of IRIs by ascending id) and writes unloaded to-one relations as IRIs', async () => {
    const em = ctx.orm.em.fork();
    const book = await em.findOneOrFail(Book, bookId);
    const loaded = await ctx.orm.em.fork().findOneOrFail(Book, bookId, { populate: ['tags', 'reviews'] });
    const ids = (items: { id: number }[]) => items.map((item) => item.id).sort((a, b) => a - b);
    const document = await ctx.serializer.serialize(book);
    expect(document.tags).toEqual(ids(loaded.tags.getItems()).map((id) => `/tags/${id}`));
    expect(document.reviews).toEqual(ids(loaded.reviews.getItems()).map((id) => `/reviews/${id}`));
    // Through another EntityManager, the entity's own collections stay as they were.
    const other = await em.fork().findOneOrFail(Book, bookId);
    expect(await ctx.serializer.serialize(other, { em: ctx.orm.em.fork() })).toEqual(document);
    expect(other.reviews.isInitialized()).toBe(false);
    const review = await em.findOneOrFail(Review, { book: bookId });
    expect(await ctx.serializer.serialize(review)).toEqual({
      '@id': `/reviews/${review.id}`,
      '@type': 'Review',
      id: review.id,
      book: `/books/${bookId}`,
      rating: 5,
      body: 'Great',
    });
  });

  it('applies serialization groups like MikroORM: grouped properties need a matching group', async () => {
    const book = await ctx.orm.em.fork().findOneOrFail(Book, bookId);
    expect(await ctx.serializer.serialize(book, { groups: ['public'] })).not.toHaveProperty('internalNote');
    expect(await ctx.serializer.serialize(book, { groups: ['admin'] })).toHaveProperty('internalNote', 'reprint');
    const grouped = serialize(book, { groups: ['public'] }) as Record<string, unknown>;
    expect(grouped).not.toHaveProperty('internalNote');
  });

  it('compiles one writer per set of visible properties, however many groups arrays callers make up', async () => {
    const book = await ctx.orm.em.fork().findOneOrFail(Book, bookId);
    const admin = await ctx.serializer.serialize(book, { groups: ['admin'] });
    for (let i = 0; i < 500; i++) {
      // Groups taken from a request: new arrays, other orders, names no property has.
      const groups = i % 2 ? ['admin', `made-up-${i}`] : [`made-up-${i}`, 'public', 'admin'];
      expect(await ctx.serializer.serialize(book, { groups })).toEqual(admin);
      expect(await ctx.serializer.serialize(book, { groups: [`other-${i}`] })).not.toHaveProperty('internalNote');
    }
    const meta = ctx.resources.getEntityMeta(Book)!;
    const cache = (ctx.serializer as unknown as { plans: WeakMap<object, { byVisible: Map<string, unknown> }> }).plans.get(meta)!;
    expect(cache.byVisible.size).toBe(2); // with internalNote, and without
  });

  it('serializes STI children with their own properties and the resource @type', async () => {
    const em = ctx.orm.em.fork();
    const dog = em.create(Dog, { name: 'Rex', breed: 'collie', kind: 'dog' });
    await em.flush();
    expect(await ctx.serializer.serialize(dog)).toEqual({
      '@id': `/animals/${dog.id}`,
      '@type': 'Animal',
      id: dog.id,
      kind: 'dog',
      name: 'Rex',
      breed: 'collie',
    });
  });

  it('serializes composite keys as properties and an IRI', async () => {
    const line = Object.assign(new OrderLine(), { orderId: 1, sku: 'X', quantity: 2 });
    expect(await ctx.serializer.serialize(line)).toEqual({ '@id': '/order-lines/orderId=1;sku=X', '@type': 'OrderLine', orderId: 1, sku: 'X', quantity: 2 });
  });

  it('refuses entities that are not resources', () => {
    expect(() => ctx.serializer.serialize(Object.assign(new Publisher(), { id: 1 }))).toThrow('Publisher is not an @ApiResource() entity');
  });
});
