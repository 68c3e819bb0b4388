import { Animal, Book, Cat, Dog, Note, OrderLine, Publisher, Review } from '../orm/__fixtures__/entities';
import { createMercureTestContext, type MercureTestContext } from '../orm/__fixtures__/mercure-test-context';

describe('ResourceMetadataRegistry', () => {
  let ctx: MercureTestContext;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ withoutListener: true });
  });
  afterAll(() => ctx.close());

  it('lists the decorated entities with their defaults', () => {
    const summary = ctx.resources.all().map((r) => [r.className, r.shortName, r.path]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['Book', 'Book', '/books'],
        ['Review', 'Review', '/reviews'],
        ['Tag', 'Tag', '/tags'],
        ['OrderLine', 'OrderLine', '/order-lines'],
        ['Animal', 'Animal', '/animals'],
        ['Cat', 'Kitty', '/cats'],
        ['Note', 'Note', '/secret-notes'],
        ['Notice', 'Notice', '/notices'],
      ]),
    );
    expect(summary).toHaveLength(10);
  });

  it('finds resources by class, entity and path', () => {
    expect(ctx.resources.getByClass(Book)?.path).toBe('/books');
    expect(ctx.resources.getByEntity(new Review())?.className).toBe('Review');
    expect(ctx.resources.getByPath('/order-lines')?.entityClass).toBe(OrderLine);
    expect(ctx.resources.getByPath('/secret-notes')?.entityClass).toBe(Note);
    expect(ctx.resources.getByPath('/notes')).toBeUndefined();
    expect(ctx.resources.getByClass(Publisher)).toBeUndefined();
  });

  it('resolves an undecorated subclass to its nearest decorated ancestor, a decorated one to itself', () => {
    expect(ctx.resources.getByClass(Dog)?.entityClass).toBe(Animal);
    expect(ctx.resources.getByClass(Cat)?.shortName).toBe('Kitty');
    class Poodle extends Dog {}
    expect(ctx.resources.getByClass(Poodle)?.entityClass).toBe(Animal);
  });
});
