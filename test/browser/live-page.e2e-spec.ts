import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { INestApplication } from '@nestjs/common';
import { chromium } from 'playwright-core';
import type { Browser, Page, Request } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium, freePort, requireChromium, startBrowserApp } from '../support/browser';

/**
 * The sample app's live page in a real browser: Debian's Chromium driven by playwright-core.
 *
 * The app runs with PUBLIC_URL on `localhost` while the page is mostly opened on `127.0.0.1`, so
 * the topics' origin differs from the page's, as it does behind a proxy: the page must not rely on
 * knowing it.
 */

// The callbacks given to page.evaluate and page.waitForFunction run in the browser, where these exist.
declare const document: any;
declare const window: any;

/** How long the page may take to show a change (it normally takes milliseconds). */
const FOLLOW_TIMEOUT = 10_000;
/** A restart also waits for the browser's EventSource to retry (about 3 s in Chromium). */
const RECONNECT_TIMEOUT = 25_000;

interface Doc {
  '@id': string;
  '@type': string;
  [key: string]: unknown;
}

function startApp(port: number, sqlitePath: string): Promise<INestApplication> {
  return startBrowserApp(port, { SQLITE_PATH: sqlitePath });
}

async function stopApp(app: INestApplication): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    // A hang guard, above the app's own shutdown bounds (the sample app gives pending updates 10 s).
    timer = setTimeout(() => reject(new Error('app.close() did not finish within 30 s (open SSE streams?)')), 30_000);
  });
  try {
    await Promise.race([app.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A tiny HTTP client for the API, as a script or another client would use it. */
function apiClient(base: () => string) {
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
    const response = await fetch(base() + path, {
      method,
      headers: body === undefined ? { Accept: 'application/ld+json' } : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null, headers: response.headers };
  }
  return {
    call,
    async create(path: string, body: object): Promise<Doc> {
      const { status, json } = await call('POST', path, body);
      if (status !== 201) throw new Error(`POST ${path} answered ${status}: ${JSON.stringify(json)}`);
      return json;
    },
    async patch(iri: string, body: object): Promise<Doc> {
      const { status, json } = await call('PATCH', iri, body);
      if (status !== 200) throw new Error(`PATCH ${iri} answered ${status}: ${JSON.stringify(json)}`);
      return json;
    },
    async remove(iri: string): Promise<void> {
      const { status, json } = await call('DELETE', iri);
      if (status !== 204) throw new Error(`DELETE ${iri} answered ${status}: ${JSON.stringify(json)}`);
    },
  };
}

const card = (iri: string) => `li.book[data-iri="${iri}"]`;

/** Waits until `predicate` holds in the page; on timeout, says what was awaited and what the page showed. */
async function waitUntil(page: Page, what: string, predicate: (arg: any) => boolean, arg: any, timeout = FOLLOW_TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout });
  } catch (error) {
    const shown = await page
      .evaluate(() => document.querySelector('main')?.textContent?.replace(/\s+/g, ' ').trim() ?? '')
      .catch(() => '(page unavailable)');
    const state = await page
      .evaluate(() => document.getElementById('connection')?.dataset.state ?? '?')
      .catch(() => '?');
    throw new Error(`Timed out waiting for ${what}. Connection: ${state}. The page showed: ${shown.slice(0, 1500)}`);
  }
}

function waitForTitle(page: Page, iri: string, title: string, timeout?: number) {
  return waitUntil(
    page,
    `${iri} titled "${title}"`,
    ([selector, expected]) => document.querySelector(`${selector} .book-title`)?.textContent === expected,
    [card(iri), title] as const,
    timeout,
  );
}

function waitForGone(page: Page, iri: string, timeout?: number) {
  return waitUntil(page, `${iri} to disappear`, (selector) => document.querySelector(selector) === null, card(iri), timeout);
}

function waitForLive(page: Page, timeout?: number) {
  return waitUntil(
    page,
    'the connection to be live',
    () => document.getElementById('connection')?.dataset.state === 'live',
    null,
    timeout,
  );
}

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent())?.trim() ?? '';
}

/**
 * Like the PostgreSQL and Redis tests, the browser tests are reported as skipped on a machine
 * without Chromium; in CI (CI set, and .ci/run installs Chromium) they always run, and fail if it
 * is missing.
 */

describeWithChromium('live page in Chromium', () => {
  let browser: Browser;
  let app: INestApplication | undefined;
  let port: number;
  let dir: string;
  let sqlitePath: string;
  const api = apiClient(() => `http://127.0.0.1:${port}`);
  const pageUrl = () => `http://127.0.0.1:${port}/`;

  beforeAll(async () => {
    requireChromium();
    dir = mkdtempSync(join(tmpdir(), 'nestjs-mercure-page-'));
    sqlitePath = join(dir, 'sample.sqlite');
    port = await freePort();
    app = await startApp(port, sqlitePath);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (app) await stopApp(app);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** A page in a fresh context, with its uncaught errors and its EventSource requests. */
  async function openPage(url = pageUrl(), viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    const eventSources: Request[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'eventsource') eventSources.push(request);
    });
    await page.goto(url);
    return { page, context, errors, eventSources };
  }

  it('serves the page, its script and its style sheet', async () => {
    const index = await fetch(pageUrl());
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await index.text();
    expect(html).toContain('src="app.js"');
    expect(html).toContain('href="style.css"');

    const script = await fetch(pageUrl() + 'app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('EventSource');

    const style = await fetch(pageUrl() + 'style.css');
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('finds the hub from the Link header and subscribes to URI templates of the items it shows', async () => {
    const { headers } = await api.call('GET', '/books');
    const link = headers.get('link') ?? '';
    const advertised = /<([^>]+)>;\s*rel="mercure"/.exec(link)?.[1];
    expect(advertised).toBeDefined();

    const { page, context, errors, eventSources } = await openPage();
    try {
      await waitForLive(page);
      expect(eventSources.length).toBeGreaterThan(0);
      const url = new URL(eventSources[0].url());
      expect(url.origin + url.pathname).toBe(new URL(advertised!, pageUrl()).href);
      expect(url.searchParams.getAll('topic')).toEqual(['{+base}/books/{id}', '{+base}/reviews/{id}']);
      expect(await textOf(page, '#hub code')).toBe(new URL(advertised!, pageUrl()).href);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('follows creates, edits and deletions made through the API, reviews included', async () => {
    const existing = await api.create('/books', { title: 'Existing book', author: 'Someone' });
    await api.create('/reviews', { book: existing['@id'], rating: 4, body: 'Solid.' });

    const { page, context, errors } = await openPage();
    try {
      await waitForTitle(page, existing['@id'], 'Existing book');
      expect(await textOf(page, `${card(existing['@id'])} .review-body`)).toBe('Solid.');
      await waitForLive(page);

      // Create
      const book = await api.create('/books', { title: 'Dune', author: 'Frank Herbert', isbn: '9780441013593' });
      await waitForTitle(page, book['@id'], 'Dune');
      expect(await textOf(page, `${card(book['@id'])} .book-author`)).toBe('Frank Herbert');
      expect(await textOf(page, `${card(book['@id'])} .book-isbn`)).toBe('ISBN 9780441013593');
      // Newest first.
      expect(await page.locator('li.book').first().getAttribute('data-iri')).toBe(book['@id']);

      // Edit
      await api.patch(book['@id'], { title: 'Dune Messiah', isbn: null });
      await waitForTitle(page, book['@id'], 'Dune Messiah');
      expect(await page.locator(`${card(book['@id'])} .book-isbn`).isHidden()).toBe(true);

      // A review appears under its book, and follows its edits.
      const review = await api.create('/reviews', { book: book['@id'], rating: 5, body: 'Spice must flow.' });
      await waitUntil(
        page,
        'the new review',
        (selector) => document.querySelector(selector)?.textContent === 'Spice must flow.',
        `${card(book['@id'])} li.review[data-iri="${review['@id']}"] .review-body`,
      );
      await api.patch(review['@id'], { rating: 2, body: 'Spice must flow.' });
      await waitUntil(
        page,
        'the review rating to change',
        (selector) => document.querySelector(selector)?.getAttribute('aria-label') === '2 out of 5',
        `li.review[data-iri="${review['@id']}"] .stars`,
      );

      // Delete: the book and its reviews go.
      await api.remove(book['@id']);
      await waitForGone(page, book['@id']);
      expect(await page.locator(`li.review[data-iri="${review['@id']}"]`).count()).toBe(0);
      // The other book is untouched.
      expect(await textOf(page, `${card(existing['@id'])} .book-title`)).toBe('Existing book');

      // The feed told the story.
      const feed = await page.locator('#feed li span').allTextContents();
      expect(feed).toContain('Deleted “Dune Messiah”');
      expect(feed).toContain('Added “Dune”');
      expect(feed).toContain('Edited “Dune Messiah”');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows the reviews each book lists, and follows the book updates when a review moves or goes', async () => {
    const first = await api.create('/books', { title: 'First shelf', author: 'A' });
    const second = await api.create('/books', { title: 'Second shelf', author: 'B' });
    const kept = await api.create('/reviews', { book: first['@id'], rating: 3, body: 'Stays.' });
    const moving = await api.create('/reviews', { book: first['@id'], rating: 4, body: 'Moves.' });

    const { page, context, errors } = await openPage();
    const reviewsShown = (book: string) =>
      page.evaluate((selector) => [...document.querySelectorAll(selector)].map((item: any) => item.dataset.iri), `${card(book)} li.review`);
    const waitForReviews = (book: string, expected: string[]) =>
      waitUntil(
        page,
        `${book} to show the reviews ${JSON.stringify(expected)}`,
        ([selector, iris]) => JSON.stringify([...document.querySelectorAll(selector)].map((item: any) => item.dataset.iri)) === JSON.stringify(iris),
        [`${card(book)} li.review`, expected] as const,
      );
    try {
      await waitForLive(page);
      await waitForReviews(first['@id'], [kept['@id'], moving['@id']]);
      expect(await reviewsShown(second['@id'])).toEqual([]);
      expect(await textOf(page, `${card(second['@id'])} .reviews-summary`)).toBe('No reviews yet');

      // Moved: it leaves the first book's card and joins the second's, as both books' updates say.
      await api.patch(moving['@id'], { book: second['@id'] });
      await waitForReviews(second['@id'], [moving['@id']]);
      await waitForReviews(first['@id'], [kept['@id']]);
      expect(await textOf(page, `${card(second['@id'])} .reviews-summary`)).toBe('1 review · 4.0 average');

      // Deleted: gone from its book.
      await api.remove(kept['@id']);
      await waitForReviews(first['@id'], []);
      expect(await textOf(page, `${card(first['@id'])} .reviews-summary`)).toBe('No reviews yet');

      // The page holds what GET answers, the books' `reviews` included.
      for (const book of [first, second]) {
        const shown = await reviewsShown(book['@id']);
        expect(shown).toEqual((await api.call('GET', book['@id'])).json.reviews);
      }

      // A book update that only changes its reviews is not announced as an edit of the book.
      const feed = await page.locator('#feed li span').allTextContents();
      expect(feed.filter((line) => line.startsWith('Edited'))).toEqual([]);
      expect(feed).toContain('Review removed of “First shelf”');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows two pages each other’s changes made with the form', async () => {
    const a = await openPage(pageUrl());
    // The second page uses the other name of the same server.
    const b = await openPage(`http://localhost:${port}/`);
    try {
      await Promise.all([waitForLive(a.page), waitForLive(b.page)]);

      // Create in A.
      await a.page.fill('#book-title', 'The Dispossessed');
      await a.page.fill('#book-author', 'Ursula K. Le Guin');
      await a.page.click('#book-submit');
      await waitUntil(
        b.page,
        'the book created in the other page',
        () => [...document.querySelectorAll('.book-title')].some((t) => t.textContent === 'The Dispossessed'),
        null,
      );
      const iri = (await b.page.locator('li.book', { hasText: 'The Dispossessed' }).getAttribute('data-iri'))!;
      expect(iri).toMatch(/^\/books\/\d+$/);
      await waitForTitle(a.page, iri, 'The Dispossessed');
      expect(await a.page.inputValue('#book-title')).toBe(''); // the form was reset

      // Edit in B.
      await b.page.click(`${card(iri)} [data-action="edit"]`);
      expect(await b.page.inputValue('#book-title')).toBe('The Dispossessed');
      expect(await textOf(b.page, '#book-submit')).toBe('Save changes');
      await b.page.fill('#book-title', 'The Dispossessed: An Ambiguous Utopia');
      await b.page.click('#book-submit');
      await waitForTitle(a.page, iri, 'The Dispossessed: An Ambiguous Utopia');
      expect((await api.call('GET', iri)).json.title).toBe('The Dispossessed: An Ambiguous Utopia');

      // A review from A shows up in B.
      await a.page.click(`${card(iri)} .review-form-box summary`);
      await a.page.selectOption(`${card(iri)} select[name="rating"]`, '3');
      await a.page.fill(`${card(iri)} textarea[name="body"]`, 'Thoughtful.');
      await a.page.click(`${card(iri)} .review-form button`);
      await waitUntil(
        b.page,
        'the review posted in the other page',
        (selector) => document.querySelector(selector)?.textContent === 'Thoughtful.',
        `${card(iri)} .review-body`,
      );

      // Delete in A (two clicks, no dialog).
      await a.page.click(`${card(iri)} [data-action="delete"]`);
      await a.page.click(`${card(iri)} [data-action="delete"]`);
      await waitForGone(b.page, iri);
      await waitForGone(a.page, iri);
      expect((await api.call('GET', iri)).status).toBe(404);

      expect([...a.errors, ...b.errors]).toEqual([]);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  it('shows the API’s refusal in the form', async () => {
    const { page, context } = await openPage();
    try {
      await waitForLive(page);
      // Longer than the API allows; set by script, as the input's maxlength stops typing.
      await page.evaluate(() => {
        document.getElementById('book-title').value = 'y'.repeat(300);
      });
      await page.click('#book-submit');
      await page.locator('#form-error').waitFor({ state: 'visible', timeout: FOLLOW_TIMEOUT });
      expect(await textOf(page, '#form-error')).toMatch(/title/i);
    } finally {
      await context.close();
    }
  });

  it('reconnects after the app restarts and catches up on what it missed', async () => {
    const kept = await api.create('/books', { title: 'Kept', author: 'A' });
    const edited = await api.create('/books', { title: 'Before the restart', author: 'B' });
    const deleted = await api.create('/books', { title: 'Deleted while down', author: 'C' });

    const { page, context, errors, eventSources } = await openPage();
    try {
      await waitForLive(page);
      await waitForTitle(page, deleted['@id'], 'Deleted while down');
      // One live update, so that the page has an event id to resume from.
      await api.patch(kept['@id'], { title: 'Kept (live)' });
      await waitForTitle(page, kept['@id'], 'Kept (live)');
      const lastEventId = (await textOf(page, '#hub .last-event')).replace(/^last event /, '');
      expect(lastEventId).not.toBe('');
      const streamsBefore = eventSources.length;

      // Stop the app: the page notices.
      await stopApp(app!);
      app = undefined;
      await waitUntil(
        page,
        'the page to notice the hub is gone',
        () => document.getElementById('connection')?.dataset.state !== 'live',
        null,
      );

      // While it is down, another instance changes the data in the same database (its own hub
      // has no subscriber: the page cannot receive these updates).
      const other = await startApp(await freePort(), sqlitePath);
      let created: Doc;
      try {
        const otherApi = apiClient(() => `http://127.0.0.1:${other.getHttpServer().address().port}`);
        created = await otherApi.create('/books', { title: 'Created while down', author: 'D' });
        await otherApi.patch(edited['@id'], { title: 'Edited while down' });
        await otherApi.remove(deleted['@id']);
      } finally {
        await stopApp(other);
      }

      // The app comes back on the same port with the same database; its hub has no history.
      app = await startApp(port, sqlitePath);
      // A change right after the restart, before or after the page is back.
      const afterRestart = await api.create('/books', { title: 'Created after the restart' });

      await waitForTitle(page, created['@id'], 'Created while down', RECONNECT_TIMEOUT);
      await waitForTitle(page, edited['@id'], 'Edited while down', RECONNECT_TIMEOUT);
      await waitForGone(page, deleted['@id'], RECONNECT_TIMEOUT);
      await waitForTitle(page, afterRestart['@id'], 'Created after the restart', RECONNECT_TIMEOUT);
      await waitForLive(page, RECONNECT_TIMEOUT);

      // It resumed from the last event it had seen.
      const resumed = eventSources.slice(streamsBefore);
      expect(resumed.length).toBeGreaterThan(0);
      const sentIds = await Promise.all(
        resumed.map(async (request) => {
          const headers = await request.allHeaders();
          return headers['last-event-id'] ?? new URL(request.url()).searchParams.get('lastEventID');
        }),
      );
      expect(sentIds).toContain(lastEventId);

      // And it is live again.
      await api.patch(kept['@id'], { title: 'Kept (live again)' });
      await waitForTitle(page, kept['@id'], 'Kept (live again)');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('stays tidy at phone width: one column, nothing wider than the screen', async () => {
    await api.create('/books', { title: 'A rather long title that has to wrap on a small phone screen', author: 'Wide Author' });
    const { page, context } = await openPage(pageUrl(), { width: 375, height: 740 });
    try {
      await waitForLive(page);
      await page.locator('li.book').first().waitFor();
      const layout = await page.evaluate(() => {
        const box = (selector: string) => document.querySelector(selector)!.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          form: box('#book-form'),
          list: box('#book-list'),
          feed: box('#feed'),
        };
      });
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
      // The form, then the books, then the feed, stacked.
      expect(layout.list.top).toBeGreaterThan(layout.form.bottom);
      expect(layout.feed.top).toBeGreaterThan(layout.list.bottom);
      expect(layout.list.right).toBeLessThanOrEqual(375);
    } finally {
      await context.close();
    }

    const desktop = await openPage(pageUrl(), { width: 1280, height: 900 });
    try {
      await desktop.page.locator('li.book').first().waitFor();
      const side = await desktop.page.evaluate(() => ({
        form: document.querySelector('#book-form')!.getBoundingClientRect().right,
        list: document.querySelector('#book-list')!.getBoundingClientRect().left,
      }));
      // The form beside the books.
      expect(side.list).toBeGreaterThan(side.form);
    } finally {
      await desktop.context.close();
    }
  });
});
