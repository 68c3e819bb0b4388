// The proof every delivery e2e test makes: what the hub received against what the app committed.
import type { BookWorkload, WriteRecord } from './book-workload';
import { field } from './fake-hub';
import type { HubSink } from './hub-sink';

export interface DeliveryReport {
  /** Writes answered 2xx. */
  committed: number;
  /** Writes whose request was cut (by a kill). */
  cut: number;
  /** Publishes the hub accepted. */
  delivered: number;
  /** Accepted publishes whose update id had been accepted before. */
  duplicates: number;
  /** Books the database holds at the end. */
  books: number;
  /** Empty when the delivery is right; otherwise what is wrong. */
  problems: string[];
}

export interface DeliveryCheck {
  sink: HubSink;
  workload: BookWorkload;
  /** Where to ask the app for the final state (`GET`). */
  appUrl: string;
  /** The app's `PUBLIC_URL` (topics are absolute). */
  publicUrl: string;
  /** After a crash the same update may come twice, with the same id; never in normal operation. */
  allowDuplicates: boolean;
  /** Every update must carry an id (the outbox's do); default true. */
  requireIds?: boolean;
}

interface Delivered {
  topic: string;
  id?: string;
  data: unknown;
}

/**
 * Asserts (as a list of problems):
 * - every committed write's update was delivered (a 2xx answer means committed);
 * - every delivered update is one of a committed write, or of a cut request the database kept
 *   (then it is the book's final state): nothing from a write that did not commit;
 * - per book, the last update received equals what `GET` returns now (a deletion: `{@id, @type}`);
 * - every update has an id; an id delivered twice carries the same update, and only when allowed;
 *   one write's update never comes under two ids.
 */
export async function checkDelivery(check: DeliveryCheck): Promise<DeliveryReport> {
  const { sink, workload, appUrl, publicUrl } = check;
  const delivered: Delivered[] = sink.received.map((r) => ({
    topic: field(r, 'topic')[0],
    id: field(r, 'id')[0],
    data: JSON.parse(field(r, 'data')[0] ?? 'null'),
  }));
  const problems: string[] = [];
  const final = await finalState(appUrl, publicUrl, workload, delivered);
  const committed = workload.committed;

  const deliveredKeys = new Set(delivered.map((u) => key(u.topic, u.data)));
  const committedKeys = new Set<string>();
  for (const write of committed) {
    const expected = expectedUpdate(write, publicUrl);
    committedKeys.add(key(expected.topic, expected.data));
    if (!deliveredKeys.has(key(expected.topic, expected.data))) {
      problems.push(`no update for committed ${write.op} of book ${write.book}: ${JSON.stringify(expected.data)}`);
    }
  }
  for (const update of delivered) {
    const explained = committedKeys.has(key(update.topic, update.data)) || same(final.get(update.topic), update.data);
    if (!explained) problems.push(`update of a write that did not commit: ${update.topic} ${JSON.stringify(update.data)}`);
  }
  const lastOf = new Map(delivered.map((u) => [u.topic, u.data] as const)); // the last one wins
  for (const [topic, state] of final) {
    if (!lastOf.has(topic)) problems.push(`no update at all for ${topic}`);
    else if (!same(lastOf.get(topic), state)) {
      problems.push(`last update of ${topic} is ${JSON.stringify(lastOf.get(topic))}, the database has ${JSON.stringify(state)}`);
    }
  }
  const byId = new Map<string, Delivered>();
  const idOfContent = new Map<string, string>();
  let duplicates = 0;
  for (const update of delivered) {
    if (!update.id) {
      if (check.requireIds !== false) problems.push(`update without an id on ${update.topic}`);
      continue;
    }
    const content = key(update.topic, update.data);
    const seen = byId.get(update.id);
    if (seen) {
      duplicates++;
      if (key(seen.topic, seen.data) !== content) problems.push(`id ${update.id} carried two different updates`);
    } else {
      byId.set(update.id, update);
      const other = idOfContent.get(content);
      if (other) problems.push(`one update under two ids (${other}, ${update.id}): ${content}`);
      idOfContent.set(content, update.id);
    }
  }
  if (duplicates > 0 && !check.allowDuplicates) problems.push(`${duplicates} update id(s) delivered twice`);
  const books = [...final.values()].filter((s) => Object.keys(s as object).length > 2).length;
  return { committed: committed.length, cut: workload.cut.length, delivered: delivered.length, duplicates, books, problems };
}

/** Polls `checkDelivery` until it finds no problem, or `timeoutMs` passed; adds how long that took. */
export async function waitForDelivery(check: DeliveryCheck, timeoutMs: number): Promise<DeliveryReport & { waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    // The full check costs CPU that an in-process app shares: first wait until enough has arrived.
    const enough = check.sink.received.length >= check.workload.committed.length;
    if (enough || Date.now() - started > timeoutMs) {
      const report = await checkDelivery(check);
      if (report.problems.length === 0 || Date.now() - started > timeoutMs) return { ...report, waitedMs: Date.now() - started };
    }
    await new Promise((resolve) => setTimeout(resolve, enough ? 500 : 50));
  }
}

/** Topic and data as one string, keys sorted (the order of JSON keys means nothing). */
function key(topic: string, data: unknown): string {
  return JSON.stringify([topic, data], (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Deep equality by value (objects from `fetch` come from another realm than Jest's). */
function same(a: unknown, b: unknown): boolean {
  return key('', a) === key('', b);
}

function expectedUpdate(write: WriteRecord, publicUrl: string): { topic: string; data: unknown } {
  const iri = write.iri ?? String(write.body?.['@id']);
  return { topic: publicUrl + iri, data: write.op === 'delete' ? { '@id': iri, '@type': 'Book' } : write.body };
}

/** Every book the test touched or the database holds, as `GET` returns it now (deleted: `{@id, @type}`). */
async function finalState(appUrl: string, publicUrl: string, workload: BookWorkload, delivered: Delivered[]): Promise<Map<string, unknown>> {
  const list = (await (await fetch(`${appUrl}/books`)).json()) as { member: { '@id': string }[] };
  const iris = new Set<string>(list.member.map((b) => b['@id']));
  for (const write of workload.writes) if (write.iri) iris.add(write.iri);
  for (const update of delivered) iris.add(update.topic.slice(publicUrl.length));
  const states = new Map<string, unknown>();
  for (const iri of [...iris].sort()) {
    const response = await fetch(appUrl + iri);
    if (response.status === 404) states.set(publicUrl + iri, { '@id': iri, '@type': 'Book' });
    else if (response.status === 200) states.set(publicUrl + iri, await response.json());
    else throw new Error(`GET ${iri} answered ${response.status}`);
  }
  return states;
}

/** Resolves once `predicate` holds (polled every 50 ms); rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Prints what a test observed (the figures of the report), outside Jest's console decoration. */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  process.stdout.write(`[figures] ${test}: ${JSON.stringify(figures)}\n`);
}
