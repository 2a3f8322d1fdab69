import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient, type BooksConnection} from '../src/client/client.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchema} from './helpers/stores.js';
import {openWatcher} from './helpers/watcher.js';

describe('two replicas on one PostgreSQL database', {skip: postgresSkipReason()}, () => {
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
        result.status === 'fulfilled' ? 'OK' : result.reason instanceof ClientError ? Status[result.reason.code] : String(result.reason),
      );
      assert.deepEqual(codes.sort(), ['ALREADY_EXISTS', 'OK'], `id ${id}`);
    }
  });
});
