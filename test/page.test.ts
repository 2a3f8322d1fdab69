import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import type {Page} from 'playwright-core';
import type {Book} from '../src/domain/book.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {browserSkipReason, closeBrowser, openPage, screenshot} from './helpers/browser.js';
import {runCliInProcess} from './helpers/cli-in-process.js';
import {fillBook, openLivePage, row, setHidden, startWebServer, state, text} from './helpers/live-page.js';

// The live page (src/web/, served at / by the web port) in Debian's
// chromium, driven by playwright-core, against real servers on free ports.
// Every wait is for something the page shows; screenshots go to test-artifacts/.

describe('the live page', {skip: browserSkipReason()}, () => {
  after(closeBrowser);

  test('shows the catalogue, and a CLI insert and delete without a reload', async (t) => {
    const books = await startWebServer(t);
    const page = await openLivePage(t, books.webUrl);
    await row(page, 123).waitFor();
    assert.match(await text(row(page, 123)), /A Tale of Two Cities[\s\S]*Charles Dickens/);
    assert.equal(await text(page.locator('#count')), '1 book');
    // The icon the page links to is served: without one, the browser asked for /favicon.ico, a 404 in every console.
    const href = (await page.locator('link[rel="icon"]').getAttribute('href')) ?? 'favicon.ico';
    const icon = await fetch(new URL(href, `${books.webUrl}/`));
    await icon.arrayBuffer();
    assert.deepEqual([icon.status, icon.headers.get('content-type')], [200, 'image/svg+xml']);

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
    await books.client.insert({id: 10, title: 'Dune Messiah', author: 'Frank Herbert'});
    await row(page, 10).waitFor();
    await page.getByRole('button', {name: 'Delete book 9, Dune'}).focus();
    await page.keyboard.press('Enter');
    await row(page, 9).waitFor({state: 'detached'});
    await assert.rejects(books.client.get({id: 9}), /NOT_FOUND/);
    // The keyboard user's place: the row that took the deleted one's, then, at the end, the one before.
    const focused = () => page.locator(':focus').getAttribute('aria-label');
    assert.equal(await focused(), 'Delete book 10, Dune Messiah');
    await page.keyboard.press('Enter');
    await row(page, 10).waitFor({state: 'detached'});
    assert.equal(await focused(), 'Delete book 123, A Tale of Two Cities');

    // Deleted by someone else: the focus goes to the list, not to another book's Delete button.
    await books.client.insert({id: 11, title: 'Children of Dune', author: 'Frank Herbert'});
    await row(page, 11).waitFor();
    await page.getByRole('button', {name: 'Delete book 11, Children of Dune'}).focus();
    await books.client.delete({id: 11});
    await row(page, 11).waitFor({state: 'detached'});
    assert.equal(
      await page.locator('#viewport').evaluate((viewport) => viewport === viewport.ownerDocument.activeElement),
      true,
    );
  });

  test('a hidden tab lets its stream go: a seventh tab goes live, and a shown one catches up', async (t) => {
    const books = await startWebServer(t);
    // Over HTTP/1.1 chromium opens at most six connections to a server, and a live page's stream holds one.
    const tabs: Page[] = [];
    for (let index = 0; index < 6; index++) tabs.push(await openLivePage(t, books.webUrl));
    for (const tab of tabs) {
      await setHidden(tab, true);
      await state(tab, 'paused').waitFor();
    }
    const seventh = await openLivePage(t, books.webUrl);
    await books.client.insert({id: 12, title: 'Dune', author: 'Frank Herbert'});
    await row(seventh, 12).waitFor();
    const [first] = tabs;
    assert.ok(first !== undefined);
    await setHidden(first, false);
    await row(first, 12).waitFor();
    await state(first, 'live').waitFor();
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
