/**
 * Child process of `flush-gc.bench.ts`, run under `node --trace-gc-nvp`: FLUSHES flushes of updates
 * of the same 1,000 books, then prints nothing (the parent reads V8's GC lines). MODE:
 * `without` (no listener), `encoded` (the listener, its updates encoded right after the flush and
 * dropped instead of queued), `queued` (the listener and its queue, to a transport answering at once).
 */
import 'reflect-metadata';
import { Book } from '../../lib/orm/__fixtures__/entities';
import { createMercureTestContext } from '../../lib/orm/__fixtures__/mercure-test-context';
import { ENTITIES, immediateTransport } from '../flush.bench';

async function main(mode: string, flushes: number): Promise<void> {
  const ctx = await createMercureTestContext({ withoutListener: mode === 'without', transport: immediateTransport });
  if (mode === 'encoded') {
    // The listener encodes each update as it hands it to the hub, which drops it here.
    ctx.hubs.get(undefined).dispatch = () => undefined;
  }
  const em = ctx.orm.em.fork();
  const books = Array.from({ length: ENTITIES }, (_, i) =>
    em.create(Book, { title: `Book ${i}`, author: 'Bench', isbn: `978-${i}`, publishedAt: new Date(1_700_000_000_000 + i) }),
  );
  await em.flush();
  for (let round = 0; round < flushes; round++) {
    books.forEach((book, i) => (book.title = `Book ${i} (rev ${round})`));
    await em.flush();
    await new Promise((resolve) => setImmediate(resolve));
    await ctx.drain();
  }
  await ctx.close();
}

main(process.argv[2] ?? 'queued', Number(process.argv[3] ?? 200)).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
