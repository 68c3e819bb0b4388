// Writes to the sample app's books as a client would, and records what each request was answered.

export type BookOp = 'create' | 'patch' | 'delete';

/** One write and how it ended: `status` set when answered, `error` when the request was cut. */
export interface WriteRecord {
  op: BookOp;
  book: number;
  /** What the write asked for (unique per write, so its update is recognisable). */
  title?: string;
  status?: number;
  /** The answer's body (the book as it was committed), for 200/201. */
  body?: Record<string, unknown>;
  /** The book's `@id`, when known. */
  iri?: string;
  error?: string;
}

interface BookChain {
  iri?: string;
  ops: number;
  /** The last request of this book was cut: it says nothing more (the database decides). */
  stopped: boolean;
  deleted: boolean;
  tail: Promise<void>;
}

export interface WorkloadOptions {
  /** Base URLs of the app instances; writes go to them in turn. */
  targets: () => string[];
  /** Books deleted by the write that would be their `deleteAt`-th (0: never). */
  deleteAt?: (book: number) => number;
}

/**
 * Each book's writes go one after the other (create, then PATCHes of its title, sometimes a
 * delete), books concurrently: the order of a book's updates matters, and is known.
 */
export class BookWorkload {
  readonly writes: WriteRecord[] = [];
  private readonly books: BookChain[] = [];
  private target = 0;
  private halted = false;

  constructor(private readonly options: WorkloadOptions) {}

  /** Queues the next write of book `index` behind its previous one. */
  next(index: number): Promise<void> {
    const chain = (this.books[index] ??= { ops: 0, stopped: false, deleted: false, tail: Promise.resolve() });
    chain.tail = chain.tail.then(() => this.write(index, chain));
    return chain.tail;
  }

  /** `writesPerBook` writes to each of `books` books, books concurrently. */
  async burst(books: number, writesPerBook: number, firstBook = 0): Promise<void> {
    const runs: Promise<void>[] = [];
    for (let b = firstBook; b < firstBook + books; b++) {
      runs.push((async () => {
        for (let i = 0; i < writesPerBook; i++) await this.next(b);
      })());
    }
    await Promise.all(runs);
  }

  /** About `perSecond` writes a second for `durationMs`, round robin over `books` books. */
  async steady(perSecond: number, durationMs: number, books: number): Promise<void> {
    const started = Date.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; Date.now() - started < durationMs && !this.halted; n++) {
      pending.push(this.next(n % books));
      const due = started + ((n + 1) * 1000) / perSecond;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    await Promise.all(pending);
  }

  /** No more writes start (already queued ones are skipped). */
  halt(): void {
    this.halted = true;
  }

  get answered(): WriteRecord[] {
    return this.writes.filter((w) => w.status !== undefined);
  }

  /** Writes answered 2xx: committed. */
  get committed(): WriteRecord[] {
    return this.writes.filter((w) => w.status !== undefined && w.status >= 200 && w.status < 300);
  }

  /** Writes whose request was cut (a kill): committed or not, the database decides. */
  get cut(): WriteRecord[] {
    return this.writes.filter((w) => w.error !== undefined);
  }

  private async write(index: number, chain: BookChain): Promise<void> {
    if (this.halted || chain.stopped || chain.deleted) return;
    const n = chain.ops++;
    const deleteAt = this.options.deleteAt?.(index) ?? 0;
    const op: BookOp = !chain.iri ? 'create' : deleteAt > 0 && n >= deleteAt ? 'delete' : 'patch';
    const title = op === 'delete' ? undefined : `book ${index} write ${n}`;
    const record: WriteRecord = { op, book: index, title, iri: chain.iri };
    this.writes.push(record);
    const targets = this.options.targets();
    const base = targets[this.target++ % targets.length];
    try {
      const response = await fetch(base + (op === 'create' ? '/books' : chain.iri), {
        method: op === 'create' ? 'POST' : op === 'patch' ? 'PATCH' : 'DELETE',
        headers: title ? { 'Content-Type': op === 'patch' ? 'application/merge-patch+json' : 'application/json' } : {},
        body: title ? JSON.stringify(op === 'create' ? { title, author: `author ${index}` } : { title }) : undefined,
      });
      record.status = response.status;
      const text = await response.text();
      if (text && response.status < 300) record.body = JSON.parse(text);
      if (op === 'create' && response.status === 201) chain.iri = record.iri = String(record.body!['@id']);
      if (op === 'delete' && response.status === 204) chain.deleted = true;
      if (response.status >= 300) chain.stopped = true;
    } catch (error) {
      record.error = (error as Error).cause ? String((error as Error).cause) : String(error);
      chain.stopped = true;
    }
  }
}
