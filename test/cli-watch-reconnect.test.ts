import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {createServer} from 'nice-grpc';
import type {Book} from '../src/domain/book.js';
import {BookServiceDefinition} from '../src/gen/books/books.js';
import {eventually} from './helpers/eventually.js';
import {restartableServer} from './helpers/restartable-server.js';
import {startCli} from './helpers/running-cli.js';

// Its own file, beside cli-changes.test.ts: server restarts take seconds on a busy machine.
const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});

describe('books watch --reconnect', () => {
  test('prints the books inserted while it was reconnecting after a server restart', async (t) => {
    const server = await restartableServer(t);
    await server.start();
    const cli = startCli(t, ['watch', '--reconnect', '--address', server.address]);
    // Said once the stream is open: an insert from then on is printed.
    await eventually('the watch is open', () => cli.stderr.join('').includes('Watching'), 20_000);
    await server.connection.client.insert(book(1));
    const printed = (count: number): Promise<number[]> =>
      cli
        .lines(count * 6)
        .then((lines) => lines.filter((line) => line.includes('"id"')).map((line) => Number(/\d+/.exec(line)?.[0])));
    assert.deepEqual(await printed(1), [1]);
    // A restart, and an insert that may come before the watch is back.
    await server.stop('SIGTERM');
    await server.start();
    await server.connection.client.insert(book(2));
    assert.deepEqual(await printed(2), [1, 2]);
  });

  test("falls back to Watch on a server without WatchChanges (the workshop's own)", async (t) => {
    const {listBooks: _, watchChanges: __, ...workshopMethods} = BookServiceDefinition.methods;
    const workshop = createServer();
    workshop.add(
      {...BookServiceDefinition, methods: workshopMethods},
      {
        list: async () => ({books: []}),
        insert: async () => ({}),
        get: async () => book(1),
        delete: async () => ({}),
        async *watch() {
          yield book(5);
        },
      },
    );
    const port = await workshop.listen('127.0.0.1:0');
    t.after(() => workshop.forceShutdown());
    const cli = startCli(t, ['watch', '--reconnect', '--json', '--address', `127.0.0.1:${port}`]);
    assert.deepEqual(await cli.lines(1), [JSON.stringify(book(5))]);
  });
});
