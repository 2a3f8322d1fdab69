import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';
import type {Locator, Page} from 'playwright-core';
import type {Book} from '../src/domain/book.js';
import {Catalogue} from '../src/domain/catalogue.js';
import {SEED_BOOKS} from '../src/domain/seed-books.js';
import {defaultConfig} from '../src/server/config.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {SqliteStore} from '../src/store/sqlite-store.js';
import {startBooksServer, type TestServer, type TestServerOptions} from './helpers/books-server.js';
import {browserSkipReason, openPage, screenshot} from './helpers/browser.js';
import {runCliInProcess} from './helpers/cli-in-process.js';

// The live page (src/web/, served at / by the web port) in Debian's
// chromium, driven by playwright-core, against real servers on free ports.
// Every wait is for something the page shows; screenshots go to test-artifacts/.

const row = (page: Page, id: number) => page.locator(`#rows li[data-id="${id}"]`);
const state = (page: Page, name: string) => page.locator(`#state[data-state="${name}"]`);
const text = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? '';

async function startWebServer(t: TestContext, options: TestServerOptions = {}): Promise<TestServer & {webUrl: string}> {
  const books = await startBooksServer({store: new MemoryStore(SEED_BOOKS), web: true, ...options});
  t.after(() => books.close());
  const {webUrl} = books;
  assert.ok(webUrl !== undefined);
  return Object.assign(books, {webUrl});
}

async function openLivePage(t: TestContext, url: string): Promise<Page> {
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
 * 123), and how to start its successor on the same file and the same ports.
 */
async function pageOnSqliteServer(t: TestContext): Promise<{
  first: TestServer & {webUrl: string};
  page: Page;
  store: () => SqliteStore;
  restart: () => Promise<TestServer & {webUrl: string}>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'books-page-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const store = (): SqliteStore => new SqliteStore(join(dir, 'books.db'), SEED_BOOKS, defaultConfig());
  const first = await startWebServer(t, {store: store()});
  const page = await openLivePage(t, first.webUrl);
  await row(page, 123).waitFor();
  const ports = {port: Number(first.address.split(':')[1]), webPort: Number(new URL(first.webUrl).port)};
  return {first, page, store, restart: () => startWebServer(t, {store: store(), ...ports})};
}

async function fillBook(page: Page, book: Book): Promise<void> {
  await page.getByLabel('Id', {exact: true}).fill(String(book.id));
  await page.getByLabel('Title', {exact: true}).fill(book.title);
  await page.getByLabel('Author', {exact: true}).fill(book.author);
}

describe('the live page', {skip: browserSkipReason()}, () => {
  test('shows the catalogue, and a CLI insert and delete without a reload', async (t) => {
    const books = await startWebServer(t);
    const page = await openLivePage(t, books.webUrl);
    await row(page, 123).waitFor();
    assert.match(await text(row(page, 123)), /A Tale of Two Cities[\s\S]*Charles Dickens/);
    assert.equal(await text(page.locator('#count')), '1 book');

    const inserted = await runCliInProcess([
      'insert',
      '2',
      'The Three Musketeers',
      'Alexandre Dumas',
      '--address',
      books.address,
    ]);
    assert.equal(inserted.code, 0, inserted.stderr);
    await row(page, 2).waitFor();
    assert.match(await text(row(page, 2)), /The Three Musketeers[\s\S]*Alexandre Dumas/);
    assert.equal(await text(page.locator('#count')), '2 books');
    await screenshot(page, 'page');

    const deleted = await runCliInProcess(['delete', '2', '--address', books.address]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await row(page, 2).waitFor({state: 'detached'});
    assert.equal(await text(page.locator('#count')), '1 book');
  });

  test('inserts with the form and deletes with the keyboard', async (t) => {
    const books = await startWebServer(t);
    const page = await openLivePage(t, books.webUrl);
    await fillBook(page, {id: 9, title: 'Dune', author: 'Frank Herbert'});
    await page.getByLabel('Author', {exact: true}).press('Enter');
    await row(page, 9).waitFor();
    assert.deepEqual(await books.client.get({id: 9}), {id: 9, title: 'Dune', author: 'Frank Herbert'});
    await page.getByRole('button', {name: 'Delete book 9, Dune'}).focus();
    await page.keyboard.press('Enter');
    await row(page, 9).waitFor({state: 'detached'});
    await assert.rejects(books.client.get({id: 9}), /NOT_FOUND/);
  });

  test('shows "reconnecting" while the server restarts, then a book inserted after it', async (t) => {
    const {first, page, restart} = await pageOnSqliteServer(t);
    await first.close();
    await state(page, 'reconnecting').waitFor();
    await screenshot(page, 'page-reconnecting');
    const second = await restart();
    await second.client.insert({id: 8, title: 'After the restart', author: 'Someone'});
    await row(page, 8).waitFor();
    await state(page, 'live').waitFor();
    assert.equal(await text(page.locator('#count')), '2 books');
  });

  test('starts again from the whole catalogue when its cursor is older than the server keeps', async (t) => {
    const {first, page, store, restart} = await pageOnSqliteServer(t);
    await first.close();
    await state(page, 'reconnecting').waitFor();

    // While no server runs: changes the page never saw, then the log trimmed to the last one,
    // so the page's cursor is older than the log keeps.
    const catalogue = await Catalogue.open(store(), defaultConfig());
    for (const id of [1, 2, 3]) await catalogue.insert({id, title: `Missed ${id}`, author: 'Offline'});
    await catalogue.delete(123);
    await catalogue.feed.trim(1);
    catalogue.close();
    await catalogue.store.close();

    const second = await restart();
    await row(page, 3).waitFor();
    await row(page, 123).waitFor({state: 'detached'});
    await state(page, 'live').waitFor();
    assert.equal(await text(page.locator('#count')), '3 books');
    assert.ok(
      second.logs.some(
        (line) => line['method'] === '/books.BookService/WatchChanges' && line['code'] === 'OUT_OF_RANGE',
      ),
      `the page resumed with its old cursor first: ${JSON.stringify(second.logs.filter((line) => line['msg'] === 'call'))}`,
    );
  });

  test('an invalid insert shows the error next to its field', async (t) => {
    const books = await startWebServer(t);
    const page = await openLivePage(t, books.webUrl);
    await fillBook(page, {id: 5, title: '   ', author: 'Nobody'});
    await page.getByRole('button', {name: 'Add'}).click();
    const error = page.locator('#title-error');
    await error.filter({hasText: /\S/}).waitFor();
    assert.equal(await error.textContent(), 'must not be empty or blank');
    assert.equal(await page.getByLabel('Title', {exact: true}).getAttribute('aria-invalid'), 'true');
    assert.equal(await text(page.locator('#author-error')), '');
    await screenshot(page, 'page-invalid');
    await assert.rejects(books.client.get({id: 5}), /NOT_FOUND/);
  });

  test('with --token, an insert without it is refused and asks for it; with it, it succeeds', async (t) => {
    const books = await startWebServer(t, {token: 'page-secret', clientOptions: {token: 'page-secret'}});
    const page = await openLivePage(t, books.webUrl);
    const token = page.getByLabel('Token', {exact: true});
    assert.equal(await token.isVisible(), false);
    await fillBook(page, {id: 6, title: 'Guarded', author: 'Keeper'});
    await page.getByRole('button', {name: 'Add'}).click();
    await token.waitFor();
    assert.match(await text(page.locator('#token-error')), /needs a token/);
    await assert.rejects(books.client.get({id: 6}), /NOT_FOUND/);

    await token.fill('wrong');
    await page.getByRole('button', {name: 'Add'}).click();
    await page
      .locator('#token-error')
      .filter({hasText: /not the server/})
      .waitFor();

    await token.fill('page-secret');
    await page.getByRole('button', {name: 'Add'}).click();
    await row(page, 6).waitFor();
    assert.equal(await text(page.locator('#token-error')), '');
  });

  test('with --auth-reads, asks for the token before it can show the catalogue', async (t) => {
    const books = await startWebServer(t, {
      token: 'page-secret',
      authReads: true,
      clientOptions: {token: 'page-secret'},
    });
    const {page} = await openPage(t, `${books.webUrl}/`);
    await state(page, 'offline').waitFor();
    const token = page.getByLabel('Token', {exact: true});
    await token.waitFor();
    await token.fill('page-secret');
    await token.press('Tab');
    await row(page, 123).waitFor();
    await state(page, 'live').waitFor();
  });

  test('10,000 books load, only the rows in view are rendered, and a live insert still shows', async (t) => {
    const many: Book[] = Array.from({length: 10_000}, (_, index) => ({
      id: index + 1,
      title: `Title ${index + 1}`,
      author: `Author ${(index % 97) + 1}`,
    }));
    const books = await startWebServer(t, {store: new MemoryStore(many)});
    const page = await openLivePage(t, books.webUrl);
    await page.locator('#count', {hasText: '10,000 books'}).waitFor();
    await row(page, 1).waitFor();
    const rendered = await page.locator('#rows li').count();
    assert.ok(rendered < 100, `${rendered} rows rendered`);

    await books.client.insert({id: 20_001, title: 'The newest', author: 'Late Comer'});
    await page.locator('#count', {hasText: '10,001 books'}).waitFor();
    await page.locator('#viewport').evaluate((viewport) => viewport.scrollTo(0, viewport.scrollHeight));
    await row(page, 20_001).waitFor();
    assert.match(await text(row(page, 20_001)), /The newest/);
  });

  test('is usable on a phone-sized window', async (t) => {
    const books = await startWebServer(t);
    const page = await openLivePage(t, books.webUrl);
    await page.setViewportSize({width: 375, height: 700});
    await row(page, 123).waitFor();
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 375, `the page is ${width} px wide`);
    assert.ok(await page.getByRole('button', {name: 'Delete book 123, A Tale of Two Cities'}).isVisible());
    await screenshot(page, 'page-phone');
  });
});
