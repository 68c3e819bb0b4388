import { MikroORM } from '@mikro-orm/core';
import { MercureResourcePublisher } from 'nestjs-mercure';
import { Book } from '../sample-app/src/books/book.entity';
import { Note } from '../sample-app/src/notes/note.entity';
import { subscribe, type SseConnection, type SseEvent } from './hub/sse-client';
import { RunningSampleApp, startSampleApp } from './support/sample-app';

const SECRET = 'resource-publisher-e2e-secret-of-enough-bytes';
const PUBLIC_URL = 'http://books.test';

/*
 * `MercureResourcePublisher` against the listener, in the sample app over real SSE connections to
 * its embedded hub: for a public Book and a private Note, and each kind, the update published by
 * hand after a write that bypasses the unit of work reaches the same subscribers, with the same
 * data, type and retry, as the listener's update of the same change.
 */
describe.each(['memory', 'outbox'] as const)('MercureResourcePublisher over real SSE (%s delivery)', (mode) => {
  let sample: RunningSampleApp;
  let orm: MikroORM;
  let resources: MercureResourcePublisher;
  /** An anonymous subscriber of every topic: public updates only. */
  let everyone: SseConnection;
  /** Alice, subscribed to her notes topic only, with the subscriber cookie her sign-in set. */
  let alice: SseConnection;
  let aliceCookie: string;

  beforeEach(async () => {
    sample = await startSampleApp({ MERCURE_JWT_SECRET: SECRET, PUBLIC_URL, MERCURE_DELIVERY: mode });
    orm = sample.app.get(MikroORM);
    resources = sample.app.get(MercureResourcePublisher);
    const login = await sample.request('POST', '/login', { user: 'alice' });
    expect(login.status).toBe(204);
    aliceCookie = login.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const hub = `${sample.url}/.well-known/mercure`;
    everyone = await subscribe(`${hub}?topic=${encodeURIComponent('*')}`);
    alice = await subscribe(`${hub}?topic=${encodeURIComponent(`${PUBLIC_URL}/users/alice/notes`)}`, {
      Cookie: aliceCookie.split('; ').filter((pair) => pair.startsWith('mercureAuthorization=')).join('; '),
    });
  });

  afterEach(async () => {
    everyone?.close();
    alice?.close();
    await sample?.app.close();
  });

  const json = async (response: Response) => JSON.parse(await response.text());
  const asAlice = (method: string, path: string, body?: unknown) =>
    fetch(sample.url + path, {
      method,
      headers: { Cookie: aliceCookie, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** What a subscriber can compare: everything but the id, which each publish gets afresh from the hub. */
  const seen = ({ data, event, retry }: SseEvent) => ({ data, event, retry });

  it('publishes a public resource by hand as the listener does, for create, update and delete', async () => {
    // create: the listener's, then the same by hand.
    const created = await json(await sample.request('POST', '/books', { title: 'Dune' }));
    const byListener = await everyone.nextEvent();
    const book = await orm.em.fork().findOneOrFail(Book, created.id);
    await resources.publish(book, 'create');
    expect(seen(await everyone.nextEvent())).toEqual(seen(byListener));
    expect(JSON.parse(byListener.data)).toEqual(created);

    // update: PATCH through the listener; then the same title written natively and published by hand.
    expect((await sample.request('PATCH', created['@id'], { title: 'Dune Messiah' })).status).toBe(200);
    const patched = await everyone.nextEvent();
    const em = orm.em.fork();
    await em.nativeUpdate(Book, { id: created.id }, { title: 'Dune Messiah' });
    await resources.publish(await em.findOneOrFail(Book, created.id, { refresh: true }), 'update');
    expect(seen(await everyone.nextEvent())).toEqual(seen(patched));
    expect(JSON.parse(patched.data)).toEqual(await json(await sample.request('GET', created['@id'])));

    // delete: built from the loaded entity, published after a native delete; then the listener's of another.
    const doomed = await em.findOneOrFail(Book, created.id);
    await em.nativeDelete(Book, { id: created.id });
    await resources.publish(doomed, 'delete');
    const byHand = await everyone.nextEvent();
    expect(JSON.parse(byHand.data)).toEqual({ '@id': created['@id'], '@type': 'Book' });
    const other = await json(await sample.request('POST', '/books', { title: 'Emma' }));
    await everyone.nextEvent();
    expect((await sample.request('DELETE', other['@id'])).status).toBe(204);
    const deleted = await everyone.nextEvent();
    expect(seen(deleted)).toEqual({ ...seen(byHand), data: JSON.stringify({ '@id': other['@id'], '@type': 'Book' }) });
  });

  it('keeps a private resource private by hand too: only its owner receives it, with the listener’s data', async () => {
    const book = await json(await sample.request('POST', '/books', { title: 'Dune' }));
    await everyone.nextEvent();
    const response = await asAlice('POST', '/notes', { book: book['@id'], body: 'Read it twice.' });
    expect(response.status).toBe(201);
    const created = await json(response);
    const byListener = await alice.nextEvent();

    const em = orm.em.fork();
    const note = await em.findOneOrFail(Note, created.id);
    await resources.publish(note, 'create');
    expect(seen(await alice.nextEvent())).toEqual(seen(byListener));

    await em.nativeUpdate(Note, { id: created.id }, { body: 'Read it three times.' });
    await resources.publish(await em.findOneOrFail(Note, created.id, { refresh: true }), 'update');
    const updated = await alice.nextEvent();
    expect(JSON.parse(updated.data)).toEqual(await json(await asAlice('GET', created['@id'])));

    await em.nativeDelete(Note, { id: created.id });
    await resources.publish(note, 'delete');
    expect(JSON.parse((await alice.nextEvent()).data)).toEqual({ '@id': created['@id'], '@type': 'Note' });

    // A public marker published after them all: the anonymous subscriber received none of the note's updates.
    const marker = await json(await sample.request('POST', '/books', { title: 'marker' }));
    expect(JSON.parse((await everyone.nextEvent()).data)['@id']).toBe(marker['@id']);
  });
});
