import { MikroORM } from '@mikro-orm/core';
import { Book } from '../sample-app/src/books/book.entity';
import { Review } from '../sample-app/src/reviews/review.entity';
import { subscribe, type SseConnection, type SseEvent } from './hub/sse-client';
import { createPostgresDatabase, POSTGRES_URL } from './support/databases';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const PUBLIC_URL = 'http://books.test';

/*
 * The sample app with its embedded hub, in both delivery modes, on SQLite and on PostgreSQL (when
 * TEST_POSTGRES_URL is set; skipped otherwise): a subscriber of every book gets, for each commit
 * that creates, moves or deletes reviews, one update per affected book whose data is what GET of
 * that book answers after the commit.
 */
const databases = POSTGRES_URL ? (['SQLite', 'PostgreSQL'] as const) : (['SQLite'] as const);
if (!POSTGRES_URL) {
  describe.skip('book updates that follow their reviews on PostgreSQL (TEST_POSTGRES_URL is not set)', () => {
    it('runs with TEST_POSTGRES_URL', () => undefined);
  });
}

describe.each(databases.flatMap((database) => (['memory', 'outbox'] as const).map((mode) => [mode, database] as const)))(
  'book updates that follow their reviews (%s delivery, %s, real SSE)',
  (mode, database) => {
    let sample: RunningSampleApp;
    let books: SseConnection;
    let postgres: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;

    beforeEach(async () => {
      postgres = database === 'PostgreSQL' ? await createPostgresDatabase() : undefined;
      sample = await startSampleApp({ MERCURE_DELIVERY: mode, PUBLIC_URL, DATABASE_URL: postgres?.url });
      const hub = `${sample.url}/.well-known/mercure?topic=${encodeURIComponent(`${PUBLIC_URL}/books/{id}`)}`;
      books = await subscribe(hub);
    });

    afterEach(async () => {
      books?.close();
      await sample?.app.close();
      await postgres?.drop();
    });

    const json = async (response: Response) => JSON.parse(await response.text());
    const get = (path: string) => sample.request('GET', path).then(json);
    const post = async (path: string, body: unknown) => {
      const response = await sample.request('POST', path, body);
      expect(response.status).toBe(201);
      return json(response);
    };
    const topicOf = (event: SseEvent) => JSON.parse(event.data)['@id'];

    /** The next events, then a marker book created afterwards: nothing else came in between (once per commit). */
    async function nextCommit(count: number): Promise<SseEvent[]> {
      const events = await books.events(count);
      const marker = await post('/books', { title: 'marker' });
      expect(topicOf(await books.nextEvent())).toBe(marker['@id']);
      return events;
    }

    async function expectGetEqual(events: SseEvent[]): Promise<void> {
      for (const event of events) {
        expect(JSON.parse(event.data)).toEqual(await get(topicOf(event)));
      }
    }

    it('publishes the book of a created, moved and deleted review, each once, with the data GET answers', async () => {
      const dune = await post('/books', { title: 'Dune' });
      const emma = await post('/books', { title: 'Emma' });
      await books.events(2);

      const review = await post('/reviews', { book: dune['@id'], rating: 5 });
      const [created] = await nextCommit(1);
      expect(JSON.parse(created.data)).toMatchObject({ '@id': dune['@id'], reviews: [review['@id']] });
      await expectGetEqual([created]);

      const second = await post('/reviews', { book: dune['@id'], rating: 3 });
      const [another] = await nextCommit(1);
      expect(JSON.parse(another.data).reviews).toEqual([review['@id'], second['@id']]);

      // Moving a review publishes the old book and the new one.
      expect((await sample.request('PATCH', review['@id'], { book: emma['@id'] })).status).toBe(200);
      const moved = await nextCommit(2);
      expect(moved.map(topicOf).sort()).toEqual([dune['@id'], emma['@id']].sort());
      await expectGetEqual(moved);
      expect((await get(dune['@id'])).reviews).toEqual([second['@id']]);
      expect((await get(emma['@id'])).reviews).toEqual([review['@id']]);

      // A review update that does not move it publishes no book.
      expect((await sample.request('PATCH', second['@id'], { rating: 4 })).status).toBe(200);
      expect((await sample.request('DELETE', review['@id'])).status).toBe(204);
      const [deleted] = await nextCommit(1);
      expect(JSON.parse(deleted.data)).toEqual({ ...(await get(emma['@id'])), reviews: [] });
    });

    it('publishes each affected book once per transaction, and only the delete of a book deleted in it', async () => {
      const orm = sample.app.get(MikroORM);
      const [dune, emma, gone] = await Promise.all(['Dune', 'Emma', 'Gone'].map((title) => post('/books', { title })));
      const old = await post('/reviews', { book: gone['@id'], rating: 1 });
      await books.events(4);
      const id = (document: { id: number }) => document.id;

      await orm.em.fork().transactional(async (em) => {
        const first = em.create(Review, { book: em.getReference(Book, id(dune)), rating: 5, body: '' });
        em.create(Review, { book: em.getReference(Book, id(dune)), rating: 4, body: '' });
        await em.flush();
        first.book = em.getReference(Book, id(emma)); // moved in the same transaction
        await em.flush();
        em.create(Review, { book: em.getReference(Book, id(emma)), rating: 3, body: '' });
        // The book and its review go in the same commit: only the book's delete is published.
        em.remove([em.getReference(Review, id(old)), em.getReference(Book, id(gone))]);
      });
      const events = await nextCommit(3);
      expect(events.map(topicOf).sort()).toEqual([dune['@id'], emma['@id'], gone['@id']].sort());
      const byIri = new Map(events.map((event) => [topicOf(event), JSON.parse(event.data)]));
      expect(byIri.get(gone['@id'])).toEqual({ '@id': gone['@id'], '@type': 'Book' });
      for (const book of [dune, emma]) {
        expect(byIri.get(book['@id'])).toEqual(await get(book['@id']));
        expect(byIri.get(book['@id']).reviews).toHaveLength(book === dune ? 1 : 2);
      }

      // A book created together with its first review publishes once, its create carrying the review.
      const fresh = await orm.em.fork().transactional(async (em) => {
        const book = em.create(Book, { title: 'Fresh' });
        em.create(Review, { book, rating: 2, body: '' });
        await em.flush();
        return book.id;
      });
      const [created] = await nextCommit(1);
      expect(JSON.parse(created.data)).toEqual(await get(`/books/${fresh}`));
      expect(JSON.parse(created.data).reviews).toHaveLength(1);
    });

    it('answers reviews in ascending id order in GET, POST and PATCH alike, [] when none', async () => {
      const book = await post('/books', { title: 'Dune' });
      expect(book.reviews).toEqual([]);
      const reviews = [];
      for (const rating of [1, 2, 3]) reviews.push((await post('/reviews', { book: book['@id'], rating }))['@id']);
      const patched = await json(await sample.request('PATCH', book['@id'], { author: 'Frank Herbert' }));
      expect(patched.reviews).toEqual(reviews);
      expect((await get(book['@id'])).reviews).toEqual(reviews);
      expect((await get('/books')).member[0]).toEqual(patched);
    });
  },
);
