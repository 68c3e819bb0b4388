import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import { UpdateRecorder } from 'nestjs-mercure/testing';
import { Update } from 'nestjs-mercure';
import { AppModule, BASE_URL } from './app.module.js';
import { createSchema } from './orm.js';

/**
 * Boots the app from the installed tarball, then checks as a client would: the discovery `Link`
 * header, and that creating a book reaches a subscriber of the embedded hub. Exits 0 on success.
 */
async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await createSchema(app.get(MikroORM));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  try {
    const list = await fetch(`${url}/books`);
    const link = list.headers.get('link') ?? '';
    check(list.status === 200, `GET /books answered ${list.status}`);
    check(link === `<${BASE_URL}/.well-known/mercure>; rel="mercure"`, `unexpected Link header: ${link}`);

    const controller = new AbortController();
    const stream = await fetch(`${url}/.well-known/mercure?topic=*`, { signal: controller.signal });
    check(stream.status === 200, `subscribing answered ${stream.status}`);
    const received = readUntil(stream, 'data:', 10_000);

    const created = await fetch(`${url}/books`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Packed' }),
    });
    const book = (await created.json()) as Record<string, unknown>;
    check(created.status === 201, `POST /books answered ${created.status}`);
    check(book['@id'] === '/books/1', `unexpected @id: ${JSON.stringify(book)}`);

    const event = await received;
    controller.abort();
    check(event.includes(`${BASE_URL}/books/1`) || event.includes('"Packed"'), `unexpected event: ${event}`);
    const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
    check(JSON.stringify(JSON.parse(data)) === JSON.stringify(book), `update data ${data} differs from ${JSON.stringify(book)}`);
    check((await new UpdateRecorder().send(new Update('urn:check', '', { id: 'urn:x' }))) === 'urn:x', 'nestjs-mercure/testing did not load');
    console.log(`pack-proof: ok (Link: ${link}; update: ${data})`);
  } finally {
    await app.close();
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Reads an SSE response until `marker` has been seen and the event is complete. */
async function readUntil(response: Response, marker: string, timeout: number): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(), timeout);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`no update within ${timeout} ms (got ${JSON.stringify(text)})`);
      text += decoder.decode(value, { stream: true });
      const end = text.indexOf('\n\n', text.indexOf(marker));
      if (text.includes(marker) && end >= 0) return text.slice(0, end);
    }
  } finally {
    clearTimeout(timer);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('pack-proof: FAILED:', error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
