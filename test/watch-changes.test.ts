import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {Status} from 'nice-grpc';
import type {Book} from '../src/domain/book.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {applyChanges, describeChange, openChangeStream} from './helpers/change-stream.js';
import {hasCode} from './helpers/status.js';
import {RUNNABLE_STORES} from './helpers/stores.js';

const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});

describe('WatchChanges', () => {
  let books: TestServer;
  before(async () => {
    books = await startBooksServer({store: new MemoryStore([book(123)]), changesHeartbeatMs: 100});
  });
  after(() => books.close());

  test('from now: a first response with the cursor, then every insert and delete, in order, each with its cursor', async (t) => {
    const stream = openChangeStream(books.client);
    t.after(() => stream.close());
    const start = await stream.next();
    assert.deepEqual(start.changes, []);
    assert.notEqual(start.cursor, '');
    await books.client.insert(book(1));
    await books.client.insert(book(2));
    await books.client.delete({id: 1});
    const changes = await stream.changes(3);
    assert.deepEqual(changes.map(describeChange), ['+1', '+2', '-1']);
    // A deletion carries the book as it was.
    assert.deepEqual(changes[2]?.book, book(1));
    assert.equal(new Set(changes.map((change) => change.cursor)).size, 3);
    await books.client.delete({id: 2});
  });

  test('resuming after a cursor gives exactly the changes after it: none lost, none repeated', async (t) => {
    const first = openChangeStream(books.client);
    t.after(() => first.close());
    await first.next();
    for (const id of [10, 11, 12]) await books.client.insert(book(id));
    const seen = await first.changes(3);
    first.close();
    // Made while no stream is open.
    await books.client.delete({id: 10});
    await books.client.insert(book(13));
    const [after] = seen;
    assert.ok(after !== undefined);
    const resumed = openChangeStream(books.client, {afterCursor: after.cursor});
    t.after(() => resumed.close());
    assert.deepEqual((await resumed.changes(4)).map(describeChange), ['+11', '+12', '-10', '+13']);
  });

  test('an idle stream gets heartbeats carrying the current cursor', async (t) => {
    const stream = openChangeStream(books.client);
    t.after(() => stream.close());
    await stream.next();
    await books.client.insert(book(20));
    const [inserted] = await stream.changes(1);
    const heartbeat = await stream.next();
    assert.deepEqual(heartbeat.changes, []);
    assert.equal(heartbeat.cursor, inserted!.cursor);
    // The heartbeat's cursor resumes right after the insert.
    await books.client.delete({id: 20});
    const resumed = openChangeStream(books.client, {afterCursor: heartbeat.cursor});
    t.after(() => resumed.close());
    assert.deepEqual((await resumed.changes(1)).map(describeChange), ['-20']);
  });

  test('bad cursors are INVALID_ARGUMENT; a cursor older than the log keeps is OUT_OF_RANGE naming the oldest kept', async (t) => {
    const read = async (request: {afterCursor?: string; includeExisting?: boolean}): Promise<unknown> => {
      const stream = openChangeStream(books.client, request);
      t.after(() => stream.close());
      await stream.next();
      return undefined;
    };
    await assert.rejects(read({afterCursor: 'garbage'}), hasCode(Status.INVALID_ARGUMENT));
    const stream = openChangeStream(books.client);
    t.after(() => stream.close());
    const {cursor} = await stream.next();
    await assert.rejects(read({afterCursor: cursor, includeExisting: true}), hasCode(Status.INVALID_ARGUMENT));
    const other = await startBooksServer();
    t.after(() => other.close());
    await assert.rejects(
      (async () => {
        const foreign = openChangeStream(other.client, {afterCursor: cursor});
        t.after(() => foreign.close());
        await foreign.next();
      })(),
      (error) => hasCode(Status.INVALID_ARGUMENT)(error) && /another catalogue/.test(String(error)),
    );
    for (const id of [30, 31, 32]) await books.client.insert(book(id));
    await books.catalogue.store.trimChanges(1);
    let details = '';
    await assert.rejects(read({afterCursor: cursor}), (error) => {
      details = String(error);
      return hasCode(Status.OUT_OF_RANGE)(error);
    });
    const oldest = /oldest cursor still served is (\S+);/.exec(details)?.[1];
    assert.ok(oldest !== undefined, details);
    const fromOldest = openChangeStream(books.client, {afterCursor: oldest});
    t.after(() => fromOldest.close());
    assert.deepEqual((await fromOldest.changes(1)).map(describeChange), ['+32']);
  });
});

for (const kind of RUNNABLE_STORES) {
  describe(`WatchChanges with include_existing, ${kind.name} store`, () => {
    test('an empty catalogue gets one response with the cursor and no changes', async (t) => {
      const location = kind.create();
      const books = await startBooksServer({store: await location.open([])});
      t.after(async () => {
        await books.close();
        await location.dispose();
      });
      const stream = openChangeStream(books.client, {includeExisting: true});
      t.after(() => stream.close());
      const snapshot = await stream.next();
      assert.deepEqual(snapshot.changes, []);
      assert.notEqual(snapshot.cursor, '');
      await books.client.insert(book(1));
      assert.deepEqual((await stream.changes(1)).map(describeChange), ['+1']);
    });

    test('snapshot and live changes, replayed into a Map, equal the catalogue while 1,000 writes run', async (t) => {
      const location = kind.create();
      const seed = Array.from({length: 1500}, (_, i) => book(i + 1));
      const books = await startBooksServer({store: await location.open(seed), watchQueueSize: 100_000});
      t.after(async () => {
        await books.close();
        await location.dispose();
      });
      // 500 inserts of new books and 500 deletes of seeded ones, 8 at a time, while the snapshot streams.
      const writes = Array.from({length: 1000}, (_, i) =>
        i % 2 === 0 ? () => books.client.insert(book(2000 + i)) : () => books.client.delete({id: i}),
      );
      const writing = (async () => {
        const workers = Array.from({length: 8}, async () => {
          for (let write = writes.shift(); write !== undefined; write = writes.shift()) await write();
        });
        await Promise.all(workers);
      })();
      const replica = new Map<number, Book>();
      const stream = openChangeStream(books.client, {includeExisting: true});
      t.after(() => stream.close());
      let cursor = '';
      let snapshotResponses = 0;
      while (cursor === '') {
        const response = await stream.next();
        snapshotResponses++;
        // Inside the snapshot nothing carries a cursor but the last response and its last change.
        assert.ok(response.changes.slice(0, -1).every((change) => change.cursor === ''));
        applyChanges(replica, response.changes);
        cursor = response.cursor;
        if (cursor !== '') assert.equal(response.changes.at(-1)?.cursor ?? cursor, cursor);
      }
      assert.ok(snapshotResponses >= 2, 'the snapshot came in pages');
      await writing;
      // Marks the end: once its insert arrives, every earlier write has too.
      await books.client.insert(book(99_999));
      while (!replica.has(99_999)) applyChanges(replica, (await stream.next()).changes);
      const catalogue = new Map<number, Book>();
      for (let token = '', first = true; first || token !== ''; first = false) {
        const page = await books.client.listBooks({pageSize: 1000, pageToken: token});
        for (const listed of page.books) catalogue.set(listed.id, listed);
        token = page.nextPageToken;
      }
      assert.equal(replica.size, catalogue.size);
      assert.deepEqual(
        [...replica.entries()].sort(([a], [b]) => a - b),
        [...catalogue.entries()].sort(([a], [b]) => a - b),
      );
    });
  });
}
