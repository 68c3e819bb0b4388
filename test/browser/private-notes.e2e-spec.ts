import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { INestApplication } from '@nestjs/common';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, describeWithChromium, freePort, requireChromium, startBrowserApp } from '../support/browser';

/**
 * The live page's "My notes" panel in Chromium: demo sign-in, private notes followed live, and a
 * short-lived subscriber token renewed while notes keep arriving. The page is opened on the
 * PUBLIC_URL host (`localhost`), where the hub and its cookie live.
 */

declare const document: any;

/** Seconds a subscriber token lasts here: several renewals fit in one test. */
const LIFETIME = 4;
const FOLLOW_TIMEOUT = 15_000;

describeWithChromium('live page: private notes in Chromium', () => {
  let browser: Browser;
  let app: INestApplication;
  let port: number;
  let dir: string;
  const base = () => `http://localhost:${port}`;

  beforeAll(async () => {
    requireChromium();
    dir = mkdtempSync(join(tmpdir(), 'nestjs-mercure-notes-'));
    port = await freePort();
    app = await startBrowserApp(port, { SQLITE_PATH: join(dir, 'sample.sqlite'), SUBSCRIBER_TOKEN_LIFETIME: String(LIFETIME) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const book = await fetch(`${base()}/books`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Dune' }),
    });
    expect(book.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  interface OpenPage {
    page: Page;
    context: BrowserContext;
    errors: string[];
    streams: Request[];
    refreshes: Request[];
  }

  async function openPage(): Promise<OpenPage> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    const streams: Request[] = [];
    const refreshes: Request[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => {
      if (request.resourceType() === 'eventsource' && request.url().includes('notes')) streams.push(request);
      if (request.url().endsWith('/login/refresh')) refreshes.push(request);
    });
    await page.goto(`${base()}/`);
    return { page, context, errors, streams, refreshes };
  }

  async function signIn(page: Page, user: string): Promise<void> {
    await page.fill('#signin-user', user);
    await page.click('#signin-submit');
    await waitFor(page, `${user} signed in and live`, () => document.getElementById('notes-panel').dataset.state === 'live');
  }

  async function waitFor(page: Page, what: string, predicate: (arg: any) => boolean, arg: any = null, timeout = FOLLOW_TIMEOUT) {
    try {
      await page.waitForFunction(predicate, arg, { timeout });
    } catch {
      const shown = await page.evaluate(() => document.getElementById('notes-panel').textContent.replace(/\s+/g, ' ').trim()).catch(() => '?');
      throw new Error(`Timed out waiting for ${what}. The notes panel showed: ${shown.slice(0, 1500)}`);
    }
  }

  const notesShown = (page: Page) => page.locator('#note-list li.note .note-body').allTextContents();

  /** Creates a note as the page's signed-in user, through its own session (from the page). */
  function createNote(page: Page, body: string) {
    return page.evaluate(async (text) => {
      const response = await fetch('/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ book: '/books/1', body: text }) });
      return response.status;
    }, body);
  }

  /** The session cookie of a context, to act as its user from here. */
  async function sessionOf(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies()).find((c) => c.name === 'session');
    if (!cookie) throw new Error('no session cookie');
    return `session=${cookie.value}`;
  }

  it('shows each signed-in user only their own notes, live; a signed-out page shows none', async () => {
    const alice = await openPage();
    const bob = await openPage();
    const anonymous = await openPage();
    try {
      await signIn(alice.page, 'alice');
      await signIn(bob.page, 'bob');
      expect(await anonymous.page.locator('#signin-form').isVisible()).toBe(true);

      // Alice writes with the form, Bob through the API.
      await alice.page.selectOption('#note-book', '/books/1');
      await alice.page.fill('#note-body', 'Alice: the spice must flow');
      await alice.page.click('#note-submit');
      expect(await createNote(bob.page, 'Bob: fear is the mind-killer')).toBe(201);

      await waitFor(alice.page, 'Alice’s note', () => document.querySelector('#note-list .note-body')?.textContent === 'Alice: the spice must flow');
      await waitFor(bob.page, 'Bob’s note', () => document.querySelector('#note-list .note-body')?.textContent === 'Bob: fear is the mind-killer');
      // A later public change reaches every page; by then any leaked note would have too.
      await fetch(`${base()}/books/1`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title: 'Dune (live)' }) });
      await waitFor(anonymous.page, 'the public change', () => [...document.querySelectorAll('.book-title')].some((t: any) => t.textContent === 'Dune (live)'));
      expect(await notesShown(alice.page)).toEqual(['Alice: the spice must flow']);
      expect(await notesShown(bob.page)).toEqual(['Bob: fear is the mind-killer']);
      expect(await notesShown(anonymous.page)).toEqual([]);
      expect(anonymous.streams).toEqual([]);

      // Deleting in Alice's page removes it there, and Bob's list never moves.
      await alice.page.click('#note-list [data-action="delete-note"]');
      await waitFor(alice.page, 'the note to go', () => document.querySelectorAll('#note-list li').length === 0);
      expect(await notesShown(bob.page)).toEqual(['Bob: fear is the mind-killer']);

      // Signing out empties the panel and closes the private stream.
      await bob.page.click('#signout');
      await waitFor(bob.page, 'the sign-in box', () => !document.getElementById('signin-form').hidden);
      expect(await notesShown(bob.page)).toEqual([]);
      expect((await bob.context.cookies()).map((c) => c.name)).toEqual([]);
      expect([...alice.errors, ...bob.errors, ...anonymous.errors]).toEqual([]);
    } finally {
      await Promise.all([alice.context.close(), bob.context.close(), anonymous.context.close()]);
    }
  }, 60_000);

  it('renews a short-lived token while notes keep arriving, and recovers from a missed renewal, losing none', async () => {
    const carol = await openPage();
    try {
      await signIn(carol.page, 'carol');
      const session = await sessionOf(carol.context);
      const sent: string[] = [];
      let blocked = false;
      await carol.page.route('**/login/refresh', (route) => (blocked ? route.abort() : route.continue()));

      const write = async (body: string) => {
        const response = await fetch(`${base()}/notes`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Cookie: session },
          body: JSON.stringify({ book: '/books/1', body }),
        });
        expect(response.status).toBe(201);
        sent.push(body);
      };
      const writeFor = async (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          await write(`note ${sent.length + 1}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };

      // Renewals on time: about three token lifetimes of notes.
      await writeFor(LIFETIME * 2500);
      // A missed renewal (think of a sleeping tab): the hub ends the stream when the token expires.
      blocked = true;
      await writeFor(LIFETIME * 1500);
      blocked = false;
      await writeFor(2000);

      await waitFor(carol.page, `all ${sent.length} notes`, (count) => document.querySelectorAll('#note-list li.note').length === count, sent.length, 30_000);
      expect((await notesShown(carol.page)).sort()).toEqual([...sent].sort());

      // It renewed several times, and resumed its stream from the last event it had seen.
      expect(carol.refreshes.length).toBeGreaterThanOrEqual(4);
      const resumedFrom = carol.streams.map((request) => new URL(request.url()).searchParams.get('lastEventID')).filter(Boolean);
      expect(resumedFrom.length).toBeGreaterThanOrEqual(2);
      expect(carol.errors).toEqual([]);
    } finally {
      await carol.context.close();
    }
  }, 90_000);

  it('signing out while a renewal is in flight leaves no subscriber cookie behind', async () => {
    const dave = await openPage();
    try {
      await signIn(dave.page, 'dave');
      // The next renewal (due within the token's lifetime) is held in the app, its request (with
      // the session cookie) already sent.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let held = false;
      const server = app.getHttpServer() as import('http').Server;
      const handlers = server.listeners('request') as ((...args: unknown[]) => void)[];
      server.removeAllListeners('request');
      server.on('request', (req: import('http').IncomingMessage, res: import('http').ServerResponse) => {
        const pass = () => handlers.forEach((handler) => handler.call(server, req, res));
        if (!held && req.url === '/login/refresh') {
          held = true;
          void released.then(pass);
        } else {
          pass();
        }
      });
      try {
        const deadline = Date.now() + LIFETIME * 1000 + FOLLOW_TIMEOUT;
        while (!held && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        server.removeAllListeners('request');
        handlers.forEach((handler) => server.on('request', handler));
      }
      expect(held).toBe(true);
      const answered = dave.page.waitForResponse('**/login/refresh');

      // Answered after the logout, it would set the subscriber cookie again.
      await dave.page.click('#signout');
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await answered;
      await waitFor(dave.page, 'the sign-in box', () => !document.getElementById('signin-form').hidden);
      expect((await dave.context.cookies()).map((c) => c.name)).toEqual([]);
      expect(dave.errors).toEqual([]);
    } finally {
      await dave.context.close();
    }
  }, 60_000);
});
