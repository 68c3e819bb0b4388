import { Book, Cat, Dog, OrderLine, Publisher, Review } from '../orm/__fixtures__/entities';
import { BASE_URL, createMercureTestContext, type MercureTestContext } from '../orm/__fixtures__/mercure-test-context';
import { IriConverter } from './iri-converter';

describe('IriConverter', () => {
  let ctx: MercureTestContext;
  let iris: IriConverter;
  beforeAll(async () => {
    ctx = await createMercureTestContext({ withoutListener: true });
    iris = ctx.iris;
  });
  afterAll(() => ctx.close());

  it('builds relative IRIs from entities and from class + id', () => {
    const em = ctx.orm.em.fork();
    const book = em.create(Book, { title: 'Dune' });
    book.id = 7;
    expect(iris.getIri(book)).toBe('/books/7');
    expect(iris.getIriFromClass(Book, 7)).toBe('/books/7');
    expect(iris.getIriFromClass(Review, '12')).toBe('/reviews/12');
  });

  it('writes composite keys as key=value pairs, percent-encoded', () => {
    const line = Object.assign(new OrderLine(), { orderId: 3, sku: 'A;1/x=y', quantity: 1 });
    expect(iris.getIri(line)).toBe('/order-lines/orderId=3;sku=A%3B1%2Fx%3Dy');
    expect(iris.getIriFromClass(OrderLine, { orderId: 3, sku: 'B' })).toBe('/order-lines/orderId=3;sku=B');
    expect(iris.getIriFromClass(OrderLine, [3, 'B'])).toBe('/order-lines/orderId=3;sku=B');
    expect(iris.getResourceFromIri('/order-lines/orderId=3;sku=A%3B1%2Fx%3Dy')).toMatchObject({
      entityClass: OrderLine,
      id: { orderId: 3, sku: 'A;1/x=y' },
    });
  });

  it('uses the resource of the nearest decorated class for STI children', () => {
    expect(iris.getIri(Object.assign(new Dog(), { id: 4 }))).toBe('/animals/4');
    expect(iris.getIri(Object.assign(new Cat(), { id: 5 }))).toBe('/cats/5');
  });

  it('refuses entities without an id and classes that are no resource', () => {
    expect(() => iris.getIri(new Book())).toThrow('Book has no value for its primary key "id" yet');
    expect(() => iris.getIri(Object.assign(new Publisher(), { id: 1 }))).toThrow('Publisher is not an @ApiResource() entity');
    expect(() => iris.getIriFromClass(OrderLine, { orderId: 1 })).toThrow('primary key "sku"');
  });

  it('makes IRIs absolute with the base URL', () => {
    expect(iris.toAbsolute('/books/1')).toBe(`${BASE_URL}/books/1`);
    expect(iris.toAbsolute('urn:x')).toBe('urn:x');
    expect(new IriConverter(ctx.resources, { baseUrl: 'https://h.test/api/' }).toAbsolute('/books/1')).toBe('https://h.test/api/books/1');
    expect(new IriConverter(ctx.resources).toAbsolute('/books/1')).toBe('/books/1');
  });

  it('parses relative IRIs and absolute ones under the base URL', () => {
    expect(iris.getResourceFromIri('/books/1')).toMatchObject({ entityClass: Book, id: 1 });
    expect(iris.getResourceFromIri(`/books/${'9'.repeat(400)}`)).toBeUndefined();
    expect(iris.getResourceFromIri('/books/9007199254740993')).toBeUndefined(); // past the safe integers
    expect(iris.getResourceFromIri('/books/9007199254740991')).toMatchObject({ id: 9007199254740991 });
    expect(iris.getResourceFromIri(`${BASE_URL}/books/42`)).toMatchObject({ entityClass: Book, id: 42 });
    expect(iris.getResourceFromIri('/animals/3')).toMatchObject({ id: 3 });
    expect(iris.getResourceFromIri('/cats/3')?.entityClass).toBe(Cat);
  });

  it.each([
    '/books/abc',
    '/books/',
    '/books',
    '/books/1/reviews',
    '/books/1?x=1',
    '/nope/1',
    'https://elsewhere.example.com/books/1',
    `${BASE_URL}books/1`,
    'books/1',
    '/order-lines/orderId=1',
    '/order-lines/orderId=1;sku=a;sku=b',
    '/order-lines/orderId=x;sku=a',
    '/books/%E0%A4%A',
  ])('rejects %s', (iri) => {
    expect(iris.getResourceFromIri(iri)).toBeUndefined();
  });
});
