import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {WatchHub} from '../src/domain/feed/index.js';
import {defaultConfig} from '../src/server/config.js';
import {SqliteStore} from '../src/store/sqlite-store.js';
import {startBooksServer} from './helpers/books-server.js';
import {openChangeStream} from './helpers/change-stream.js';
import {openWatcher} from './helpers/watcher.js';

describe('a watch queue smaller than a commit', () => {
  test('a chunk larger than the queue still fits an empty one; the next overflows it', async () => {
    const hub = new WatchHub<number>(2);
    const watcher = hub.subscribe(new AbortController().signal);
    hub.publish([1, 2, 3, 4, 5]);
    assert.equal(watcher.size, 5);
    hub.publish([6]);
    assert.equal(watcher.ended, true);
  });

  test('--watch-queue-size 1: a burst of inserts grouped into one commit reaches every watcher', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'books-small-queue-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const server = await startBooksServer({
      store: new SqliteStore(join(dir, 'books.db'), [], defaultConfig()),
      watchQueueSize: 1,
    });
    t.after(() => server.close());
    const watcher = openWatcher(server.client);
    const changes = openChangeStream(server.client);
    t.after(() => {
      watcher.cancel();
      changes.close();
    });
    await watcher.ready;
    await changes.next();
    // Sent in one turn of the event loop, they share one SQLite commit.
    const ids = Array.from({length: 20}, (_, i) => 500 + i);
    await Promise.all(ids.map((id) => server.client.insert({id, title: `Book ${id}`, author: 'Burst'})));
    await watcher.received(ids.length);
    assert.deepEqual(
      watcher.books.map((book) => book.id),
      ids,
    );
    assert.deepEqual(
      (await changes.changes(ids.length)).map((change) => change.book?.id),
      ids,
    );
  });
});
