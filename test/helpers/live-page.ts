import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {TestContext} from 'node:test';
import type {Locator, Page} from 'playwright-core';
import type {Book} from '../../src/domain/book.js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';
import {defaultConfig} from '../../src/server/config.js';
import {MemoryStore} from '../../src/store/memory-store.js';
import {SqliteStore} from '../../src/store/sqlite-store.js';
import {startBooksServer, type TestServer, type TestServerOptions} from './books-server.js';
import {openPage} from './browser.js';

// The live page's tests (page*.test.ts): what they look for on the page, and
// the servers they open it on.

export const row = (page: Page, id: number) => page.locator(`#rows li[data-id="${id}"]`);
export const state = (page: Page, name: string) => page.locator(`#state[data-state="${name}"]`);
export const text = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? '';

export async function startWebServer(
  t: TestContext,
  options: TestServerOptions = {},
): Promise<TestServer & {webUrl: string}> {
  const books = await startBooksServer({store: new MemoryStore(SEED_BOOKS), web: true, ...options});
  t.after(() => books.close());
  const {webUrl} = books;
  assert.ok(webUrl !== undefined);
  return Object.assign(books, {webUrl});
}

export async function openLivePage(t: TestContext, url: string): Promise<Page> {
  const {page, errors} = await openPage(t, `${url}/`);
  t.after(() => {
    // Failed calls the page handles (a refused insert) are logged by chromium as failed requests; anything else is a bug.
    const unexpected = errors.filter(
      (error) => !/Failed to load resource|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|network error/i.test(error),
    );
    assert.deepEqual(unexpected, []);
  });
  await state(page, 'live').waitFor();
  return page;
}

/**
 * A server on a SQLite file of its own, the page live on it (showing book
 * 123), and how to start its successor on the same file and the same ports
 * (with other settings if given).
 */
export async function pageOnSqliteServer(t: TestContext): Promise<{
  first: TestServer & {webUrl: string};
  page: Page;
  store: () => SqliteStore;
  restart: (options?: TestServerOptions) => Promise<TestServer & {webUrl: string}>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'books-page-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const store = (): SqliteStore => new SqliteStore(join(dir, 'books.db'), SEED_BOOKS, defaultConfig());
  const first = await startWebServer(t, {store: store()});
  const page = await openLivePage(t, first.webUrl);
  await row(page, 123).waitFor();
  const ports = {port: Number(first.address.split(':')[1]), webPort: Number(new URL(first.webUrl).port)};
  return {first, page, store, restart: (options = {}) => startWebServer(t, {...options, store: store(), ...ports})};
}

/**
 * Makes the page believe its tab was hidden or shown, as switching tabs does
 * (headless chromium shows every page): the page reads `document.hidden`
 * on its `visibilitychange` event.
 */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(`(() => {
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => ${hidden}});
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}'});
    document.dispatchEvent(new Event('visibilitychange'));
  })()`);
}

export async function fillBook(page: Page, book: Book): Promise<void> {
  await page.getByLabel('Id', {exact: true}).fill(String(book.id));
  await page.getByLabel('Title', {exact: true}).fill(book.title);
  await page.getByLabel('Author', {exact: true}).fill(book.author);
}
