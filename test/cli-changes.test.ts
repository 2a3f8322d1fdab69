import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';
import {createServer} from 'nice-grpc';
import {createBooksClient, type BooksClient} from '../src/client/client.js';
import {runCli} from '../src/cli/cli.js';
import type {Book} from '../src/domain/book.js';
import {BookServiceDefinition} from '../src/gen/books/books.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {freePort} from './helpers/free-port.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';

const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});
const created = (b: Book): string => `+ ${b.id} ${JSON.stringify(b.title)} by ${b.author}`;

interface RunningCli {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves to the exit status. */
  readonly exited: Promise<number>;
  /** Ctrl-C. */
  stop(): Promise<number>;
  /** Waits until `count` lines are on stdout. */
  lines(count: number): Promise<string[]>;
}

/** Runs the CLI in-process, as the `books` command would, until `stop()`. */
function startCli(t: TestContext, args: string[]): RunningCli {
  const interrupt = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = runCli(args, {
    stdout: (text) => void stdout.push(...text.split('\n').slice(0, -1)),
    stderr: (text) => void stderr.push(text),
    stderrIsTerminal: false,
    env: {},
    signal: interrupt.signal,
  });
  const stop = (): Promise<number> => {
    interrupt.abort();
    return exited;
  };
  t.after(stop);
  return {
    stdout,
    stderr,
    exited,
    stop,
    async lines(count) {
      await eventually(`${count} lines of output (have ${stdout.length}: ${stdout.join(' | ')})`, () => stdout.length >= count, 20_000);
      return stdout.slice(0, count);
    },
  };
}

interface RestartableServer {
  readonly address: string;
  /** A connection to the server now running (a new one after each start). */
  readonly client: BooksClient;
  /** Stops the running server with `signal` and waits for it to exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** Starts the server again, on the same port and SQLite file. */
  start(): Promise<void>;
}

/** A server process on a SQLite file, to stop and start again on one port; killed after the test. */
async function restartableServer(t: TestContext): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'books-restarts-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let running: ServerProcess | undefined;
  let connection = createBooksClient(address);
  t.after(() => {
    connection.close();
    running?.child.kill('SIGKILL');
    rmSync(dir, {recursive: true, force: true});
  });
  const server: RestartableServer = {
    address,
    get client() {
      return connection.client;
    },
    async stop(signal) {
      running?.child.kill(signal);
      await running?.exited;
    },
    async start() {
      running = await startServerProcess(['--db', join(dir, 'books.db'), '--port', String(port)]);
      connection.close();
      connection = createBooksClient(address);
      // The new server answers before the test goes on.
      await connection.health.check({service: ''});
    },
  };
  await server.start();
  return server;
}

describe('books changes', () => {
  test('--reconnect --json across SIGTERM, restart, kill -9 and restart prints exactly the acknowledged changes, in order', async (t) => {
    const server = await restartableServer(t);
    const cli = startCli(t, ['changes', '--reconnect', '--json', '--existing', '--address', server.address]);
    // The snapshot holds the seed book: once it is printed, every later change will be.
    await cli.lines(1);
    await server.client.insert(book(1));
    await server.client.delete({id: 123});
    await server.stop('SIGTERM');
    await server.start();
    await server.client.insert(book(2));
    await server.stop('SIGKILL');
    await server.start();
    await server.client.insert(book(3));
    await server.client.delete({id: 1});

    const printed = (await cli.lines(6)).map((line) => JSON.parse(line) as {type: string; book: Book; cursor: string});
    assert.deepEqual(
      printed.map(({type, book: {id}}) => `${type} ${id}`),
      ['created 123', 'created 1', 'deleted 123', 'created 2', 'created 3', 'deleted 1'],
    );
    assert.deepEqual(printed[2]!.book, {id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'});
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

describe('books watch --reconnect', () => {
  test('prints the books inserted while it was reconnecting after a server restart', async (t) => {
    const server = await restartableServer(t);
    const cli = startCli(t, ['watch', '--reconnect', '--address', server.address]);
    // Said once the stream is open: an insert from then on is printed.
    await eventually('the watch is open', () => cli.stderr.join('').includes('Watching'), 20_000);
    await server.client.insert(book(1));
    const printed = (count: number): Promise<number[]> =>
      cli.lines(count * 6).then((lines) => lines.filter((line) => line.includes('"id"')).map((line) => Number(/\d+/.exec(line)?.[0])));
    assert.deepEqual(await printed(1), [1]);
    // A restart, and an insert that may come before the watch is back.
    await server.stop('SIGTERM');
    await server.start();
    await server.client.insert(book(2));
    assert.deepEqual(await printed(2), [1, 2]);
  });

  test("falls back to Watch on a server without WatchChanges (the workshop's own)", async (t) => {
    const {listBooks: _, watchChanges: __, ...workshopMethods} = BookServiceDefinition.methods;
    const workshop = createServer();
    workshop.add({...BookServiceDefinition, methods: workshopMethods}, {
      list: async () => ({books: []}),
      insert: async () => ({}),
      get: async () => book(1),
      delete: async () => ({}),
      async *watch() {
        yield book(5);
      },
    });
    const port = await workshop.listen('127.0.0.1:0');
    t.after(() => workshop.forceShutdown());
    const cli = startCli(t, ['watch', '--reconnect', '--json', '--address', `127.0.0.1:${port}`]);
    assert.deepEqual(await cli.lines(1), [JSON.stringify(book(5))]);
  });
});
