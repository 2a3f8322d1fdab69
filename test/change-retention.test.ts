import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import {ChangesTrimmedError} from '../src/domain/errors.js';
import {ChangeFeed} from '../src/domain/feed/index.js';
import {defaultConfig} from '../src/server/config.js';
import {startFeedTimers} from '../src/server/feed-timers.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {openSqlite} from '../src/store/sqlite-driver.js';
import {SqliteStore} from '../src/store/sqlite-store.js';

describe('the change log over time', () => {
  test('is trimmed in the background to its last changes', async (t) => {
    const store = new MemoryStore();
    for (let id = 1; id <= 10; id++) await store.insert({id, title: `T${id}`, author: 'A'});
    const errors: unknown[] = [];
    const feed = await ChangeFeed.open(store, {...defaultConfig(), watchQueueSize: 16});
    const stop = startFeedTimers(feed, {
      ...defaultConfig(),
      changesRetention: 3,
      onTrimError: (error) => errors.push(error),
      trimEveryMs: 1,
    });
    t.after(stop);
    const isTrimmed = (): Promise<boolean> =>
      store.readChanges(6, 1).then(
        () => false,
        (error: unknown) => error instanceof ChangesTrimmedError && error.oldest === 7,
      );
    // Until the first trim has run: the test's timeout bounds the wait.
    while (!(await isTrimmed())) await delay(5);
    assert.deepEqual(
      (await store.readChanges(7, 10)).map((change) => change.book.id),
      [8, 9, 10],
    );
    assert.deepEqual(errors, []);
  });

  test('a SQLite file of the previous schema (books only) gains the log on opening, and keeps its books', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'books-v1-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const path = join(dir, 'books.db');
    const v1 = openSqlite(path);
    v1.exec(`CREATE TABLE books (position INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER NOT NULL UNIQUE,
      title TEXT NOT NULL, author TEXT NOT NULL);
      INSERT INTO books (id, title, author) VALUES (5, 'Old', 'Book');
      PRAGMA user_version = 1;`);
    v1.close();
    const store = new SqliteStore(path, [], defaultConfig());
    t.after(() => store.close());
    assert.deepEqual(await store.get(5), {id: 5, title: 'Old', author: 'Book'});
    assert.equal(await store.lastPosition(), 0);
    await store.delete(5);
    assert.deepEqual(await store.readChanges(0, 10), [
      {kind: 'deleted', book: {id: 5, title: 'Old', author: 'Book'}, position: 1},
    ]);
  });
});
