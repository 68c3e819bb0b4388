import { Test } from '@nestjs/testing';
import { MercureTestingModule, UpdateRecorder } from 'nestjs-mercure/testing';
import { AppModule } from '../sample-app/src/app.module';
import { loadConfig } from '../sample-app/src/config';
import { configureApp } from '../sample-app/src/setup';

// The README's way to test an existing AppModule: its MercureModule recording instead of publishing.
describe('MercureTestingModule overriding MercureModule in a real AppModule', () => {
  it('records the updates of the real app, parents included, in memory mode whatever MERCURE_DELIVERY says; discovery and sign-in unchanged', async () => {
    const config = loadConfig({ SQLITE_PATH: ':memory:', PORT: '0', PUBLIC_URL: 'http://books.test', MERCURE_DELIVERY: 'outbox' });
    const recorder = new UpdateRecorder();
    const moduleRef = await MercureTestingModule.overrideIn(Test.createTestingModule({ imports: [AppModule.forRoot(config)] }), recorder).compile();
    const app = configureApp(moduleRef.createNestApplication({ bodyParser: false, logger: false }));
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const post = (path: string, body: object) =>
        fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/books', { title: 'Dune' })).status).toBe(201);
      expect((await post('/reviews', { book: '/books/1', rating: 5 })).status).toBe(201);
      // The testing module waits for the recording: no polling needed.
      expect(recorder.topics()).toEqual(['http://books.test/books/1', 'http://books.test/reviews/1', 'http://books.test/books/1']);
      expect(JSON.parse(recorder.updates[2].data).reviews).toEqual(['/reviews/1']);

      // The rest of the app sees the hubs as configured: discovery names the embedded hub, and the
      // sign-in signs subscriber tokens with its key as it does without the override.
      const list = await fetch(url + '/books');
      expect(list.headers.get('link')).toContain('<http://books.test/.well-known/mercure>; rel="mercure"');
      const login = await post('/login', { user: 'alice' });
      expect(login.status).toBe(204);
      expect(login.headers.getSetCookie().some((cookie) => cookie.startsWith('mercureAuthorization='))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
