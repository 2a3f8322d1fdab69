import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {Catalogue} from '../src/domain/catalogue.js';
import {defaultConfig} from '../src/server/config.js';
import {browserSkipReason, closeBrowser, screenshot} from './helpers/browser.js';
import {pageOnSqliteServer, row, state, text} from './helpers/live-page.js';

// The live page across server restarts, in chromium (see page.test.ts): it
// says "reconnecting", resumes from its cursor, or starts again from the
// whole catalogue when the server no longer keeps that cursor.

describe('the live page across restarts', {skip: browserSkipReason()}, () => {
  after(closeBrowser);

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

  test('says "live" again as soon as it has resumed, with nothing new to show', async (t) => {
    const {first, page, restart} = await pageOnSqliteServer(t);
    await first.close();
    await state(page, 'reconnecting').waitFor();
    // No heartbeat before the test ends: only the resumed stream's first answer can say "live".
    await restart({changesHeartbeatMs: 3_600_000});
    await state(page, 'live').waitFor();
    assert.equal(await text(page.locator('#count')), '1 book');
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
});
