import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import type {Book} from '../src/domain/book.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {restartableServer} from './helpers/restartable-server.js';
import {startCli} from './helpers/running-cli.js';

const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});
const created = (b: Book): string => `+ ${b.id} ${JSON.stringify(b.title)} by ${b.author}`;

describe('books changes', () => {
  test('--reconnect --json across SIGTERM, restart, kill -9 and restart prints exactly the acknowledged changes, in order', async (t) => {
    const server = await restartableServer(t);
    await server.start();
    const cli = startCli(t, ['changes', '--reconnect', '--json', '--existing', '--address', server.address]);
    // The snapshot holds the seed book: once it is printed, every later change will be.
    await cli.lines(1);
    await server.connection.client.insert(book(1));
    await server.connection.client.delete({id: 123});
    await server.stop('SIGTERM');
    await server.start();
    await server.connection.client.insert(book(2));
    await server.stop('SIGKILL');
    await server.start();
    await server.connection.client.insert(book(3));
    await server.connection.client.delete({id: 1});

    const printed = (await cli.lines(6)).map((line) => JSON.parse(line) as {type: string; book: Book; cursor: string});
    assert.deepEqual(
      printed.map(({type, book: {id}}) => `${type} ${id}`),
      ['created 123', 'created 1', 'deleted 123', 'created 2', 'created 3', 'deleted 1'],
    );
    assert.deepEqual(printed[2]?.book, {id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'});
    assert.ok(printed.every(({cursor}) => cursor !== ''));
    assert.match(cli.stderr.join(''), /changes interrupted \(UNAVAILABLE.*\); resuming after the last change/);
    assert.equal(await cli.stop(), 0);
    assert.equal(cli.stdout.length, 6, 'nothing repeated after the last change');
  });

  test('--cursor-file: a consumer stopped and started again continues where it left off', async (t) => {
    const books = await startBooksServer({store: new MemoryStore([book(123)])});
    t.after(() => books.close());
    const dir = mkdtempSync(join(tmpdir(), 'books-cursor-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const file = join(dir, 'cursor');
    const args = ['changes', '--cursor-file', file, '--address', books.address];

    const first = startCli(t, args);
    // The stream's first response, a heartbeat, stores the starting point.
    await eventually('the cursor file is written', () => existsSync(file));
    await books.client.insert(book(1));
    await books.client.insert(book(2));
    assert.deepEqual(await first.lines(2), [created(book(1)), created(book(2))]);
    assert.equal(await first.stop(), 0);

    await books.client.insert(book(3));
    await books.client.delete({id: 1});
    const second = startCli(t, args);
    assert.deepEqual(await second.lines(2), [created(book(3)), `- 1 "Title 1" by Author 1`]);
    assert.equal(await second.stop(), 0);
    assert.equal(second.stdout.length, 2);
    assert.notEqual(readFileSync(file, 'utf8').trim(), '');
  });

  test('a cursor older than the server keeps exits 1 and says to start again with --existing', async (t) => {
    const books = await startBooksServer();
    t.after(() => books.close());
    const {cursor} = (await books.client.watchChanges({})[Symbol.asyncIterator]().next()).value as {cursor: string};
    for (const id of [1, 2, 3]) await books.client.insert(book(id));
    await books.catalogue.store.trimChanges(1);
    const cli = startCli(t, ['changes', '--from', cursor, '--address', books.address]);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr.join(''), /^books: changes failed: .*older than .*start again with --existing/);
  });

  test('--from with --existing is a usage error', async (t) => {
    const cli = startCli(t, ['changes', '--from', 'x', '--existing', '--address', '127.0.0.1:1']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr.join(''), /--from and --existing/);
  });
});
