import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import pg from 'pg';
import {createBooksClient, type BooksConnection} from '../src/client/client.js';
import type {LoggedChange} from '../src/domain/change.js';
import {PostgresStore} from '../src/store/postgres-store.js';
import {describeChange, openChangeStream} from './helpers/change-stream.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {
  dropSchema,
  POSTGRES_AVAILABLE,
  postgresStoreOptions,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './helpers/stores.js';
import {openWatcher} from './helpers/watcher.js';

if (POSTGRES_AVAILABLE)
  describe('two replicas on one PostgreSQL database', () => {
    const schema = uniqueSchema();
    let replicas: ServerProcess[] = [];
    let connections: BooksConnection[] = [];
    before(async () => {
      const args = ['--database-url', TEST_DATABASE_URL ?? '', '--database-schema', schema];
      replicas = await Promise.all([startServerProcess(args), startServerProcess(args)]);
      connections = replicas.map((replica) => createBooksClient(replica.address));
    });
    after(async () => {
      for (const connection of connections) connection.close();
      for (const replica of replicas) replica.child.kill('SIGTERM');
      await Promise.all(replicas.map((replica) => replica.exited));
      await dropSchema(schema);
    });

    test('a watcher on each replica sees every insert made through either, once, in commit order', async () => {
      const [a, b] = connections as [BooksConnection, BooksConnection];
      const watchers = [openWatcher(a.client), openWatcher(b.client)];
      await Promise.all(watchers.map((watcher) => watcher.ready));
      // Concurrent inserts through both replicas: commit order decides.
      const ids = Array.from({length: 40}, (_, i) => 2000 + i);
      await Promise.all(
        ids.map((id, i) => (i % 2 === 0 ? a : b).client.insert({id, title: `Book ${id}`, author: 'Replicated'})),
      );
      await Promise.all(watchers.map((watcher) => watcher.received(ids.length)));
      const [seenByA, seenByB] = watchers.map((watcher) => watcher.books.map((book) => book.id));
      assert.deepEqual([...(seenByA ?? [])].sort(), ids);
      assert.deepEqual(seenByB, seenByA, 'both replicas deliver in the same (commit) order');
      // Both replicas list every book. (List orders by when the insert began,
      // which under concurrency may differ from commit order.)
      for (const {client} of [a, b]) {
        const listed = (await client.list({})).books.map((book) => book.id).filter((id) => id >= 2000);
        assert.deepEqual(listed.sort(), ids);
      }
      for (const watcher of watchers) watcher.cancel();
    });

    test('racing inserts of one id through both replicas: one OK, one ALREADY_EXISTS', async () => {
      const [a, b] = connections as [BooksConnection, BooksConnection];
      for (let id = 3000; id < 3020; id++) {
        const results = await Promise.allSettled([
          a.client.insert({id, title: 'From A', author: 'Racer'}),
          b.client.insert({id, title: 'From B', author: 'Racer'}),
        ]);
        const codes = results.map((result) =>
          result.status === 'fulfilled'
            ? 'OK'
            : result.reason instanceof ClientError
              ? Status[result.reason.code]
              : String(result.reason),
        );
        assert.deepEqual(codes.sort(), ['ALREADY_EXISTS', 'OK'], `id ${id}`);
      }
    });

    test("with replica A's notification connection cut, Watch and WatchChanges on A still get every insert made through B", async (t) => {
      const [a, b] = connections as [BooksConnection, BooksConnection];
      const watcher = openWatcher(a.client);
      t.after(() => watcher.cancel());
      await watcher.ready;
      const changes = openChangeStream(a.client);
      t.after(() => changes.close());
      await changes.next();
      const database = new pg.Client({connectionString: TEST_DATABASE_URL});
      await database.connect();
      t.after(() => database.end());
      const {rows} = await database.query<{terminated: boolean}>(
        'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1',
        [`books listener ${replicas[0]?.child.pid}`],
      );
      assert.deepEqual(rows, [{terminated: true}]);
      const ids = Array.from({length: 20}, (_, i) => 4000 + i);
      for (const id of ids) await b.client.insert({id, title: `Book ${id}`, author: 'Through B'});
      // "From now" on A is from where A's feed stands, which may be a moment behind the database:
      // a change of the test before can come first. These must all come, in order.
      const ours = (id: number | undefined): boolean => id !== undefined && id >= 4000;
      await watcher.received(ids.length);
      while (watcher.books.filter((book) => ours(book.id)).length < ids.length)
        await watcher.received(watcher.books.length + 1);
      assert.deepEqual(watcher.books.map((book) => book.id).filter(ours), ids);
      const received = [];
      while (received.length < ids.length)
        received.push(...(await changes.changes(1)).filter((change) => ours(change.book?.id)));
      assert.deepEqual(
        received.map(describeChange),
        ids.map((id) => `+${id}`),
      );
    });

    test('concurrent writers on both replicas never make a reader of the log skip a change', async (t) => {
      const [a, b] = connections as [BooksConnection, BooksConnection];
      const reader = await PostgresStore.open(postgresStoreOptions(schema));
      t.after(() => reader.close());
      // A reader that moves on as soon as it sees a change, as the feed does.
      const seen: LoggedChange[] = [];
      let writing = true;
      const reading = (async () => {
        let position = await reader.lastPosition();
        const start = position;
        while (writing || position < (await reader.lastPosition())) {
          const next = await reader.readChanges(position, 100);
          seen.push(...next);
          position = next.at(-1)?.position ?? position;
        }
        return start;
      })();
      for (let round = 0; round < 15; round++) {
        const ids = Array.from({length: 8}, (_, i) => 10_000 + round * 8 + i);
        await Promise.all(
          ids.map((id, i) => (i % 2 === 0 ? a : b).client.insert({id, title: `Book ${id}`, author: 'Racer'})),
        );
        await Promise.all(ids.map((id, i) => (i % 2 === 0 ? b : a).client.delete({id})));
      }
      writing = false;
      const start = await reading;
      // Everything the log holds now, read at leisure: the reader must have seen exactly this.
      const all: LoggedChange[] = [];
      let next = await reader.readChanges(start, 1000);
      for (let last = next.at(-1); last !== undefined; last = next.at(-1)) {
        all.push(...next);
        next = await reader.readChanges(last.position, 1000);
      }
      assert.equal(all.length, 15 * 16);
      assert.deepEqual(seen, all);
      assert.deepEqual(
        all.map((change) => change.position),
        all.map((_, i) => start + i + 1),
        'positions have no gap',
      );
    });
  });
