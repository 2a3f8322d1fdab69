import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {isAbortError} from 'abort-controller-x';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {openWatcher} from './helpers/watcher.js';

const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const book = (id: number) => ({id, title: `Book ${id}`, author: `Author ${id}`});

describe('Watch', () => {
  test('streams only books inserted after the watch began', async () => {
    const books = await startBooksServer();
    try {
      await books.client.insert(book(1));
      const watcher = openWatcher(books.client);
      await watcher.ready;
      await books.client.insert(book(2));
      await watcher.received(1);
      assert.deepEqual(watcher.books, [book(2)]);
      watcher.cancel();
    } finally {
      await books.close();
    }
  });

  test('a cancelled watch leaves the hub, and is not logged as a failure', async () => {
    const books = await startBooksServer();
    try {
      const watcher = openWatcher(books.client);
      await watcher.ready;
      assert.equal(books.hub.watcherCount, 1);
      watcher.cancel();
      assert.ok(isAbortError(await watcher.ended));
      await eventually('the watcher has left the hub', () => books.hub.watcherCount === 0);
      await eventually('the call is logged', () =>
        books.logs.some((line) => line['method'] === '/books.BookService/Watch'),
      );
      const lines = books.logs.filter((line) => line['method'] === '/books.BookService/Watch');
      assert.deepEqual(
        lines.map((line) => [line['level'], line['code']]),
        [['debug', 'CANCELLED']],
      );
    } finally {
      await books.close();
    }
  });

  test('a client process that dies without cancelling leaves the hub', async () => {
    const books = await startBooksServer();
    try {
      const child = spawn(process.execPath, [fixture('watch-forever.js'), books.address, '2'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const [line] = (await once(createInterface({input: child.stdout}), 'line')) as [string];
        assert.equal(line, 'ready');
        assert.equal(books.hub.watcherCount, 2);
        child.kill('SIGKILL');
        await once(child, 'exit');
        await eventually('both watchers have left the hub', () => books.hub.watcherCount === 0);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      await books.close();
    }
  });

  test('a watcher that stops reading is ended with RESOURCE_EXHAUSTED; others get everything', async () => {
    const queueSize = 4;
    const books = await startBooksServer({watchQueueSize: queueSize});
    try {
      const fast = openWatcher(books.client);
      // The slow client asks for one book, then stops reading: gRPC flow
      // control pushes back until the server's queue for it overflows.
      let registered!: () => void;
      const ready = new Promise<void>((resolve) => (registered = resolve));
      const slowConnection = books.connect();
      const slow = slowConnection.client.watch({}, {onHeader: () => registered()})[Symbol.asyncIterator]();
      const first = slow.next();
      await Promise.all([ready, fast.ready]);
      assert.equal(books.hub.watcherCount, 2);

      // 1 KiB books, so that flow-control windows fill after a bounded number.
      const big = (id: number) => ({id: 1000 + id, title: 't'.repeat(250), author: `${id}`.padEnd(250, 'a')});
      let inserted = 0;
      while (books.hub.watcherCount === 2) {
        assert.ok(inserted < 50_000, 'the slow watcher was never ended');
        await books.client.insert(big(++inserted));
      }
      assert.equal(books.hub.watcherCount, 1, 'only the slow watcher was ended');
      await fast.received(inserted);
      assert.deepEqual(
        fast.books.map((b) => b.id),
        Array.from({length: inserted}, (_, i) => 1000 + i + 1),
      );

      // Reading again, the slow client gets an in-order prefix, then the status.
      const received = [(await first).value?.id];
      const error = await (async () => {
        try {
          for (let next = await slow.next(); !next.done; next = await slow.next()) received.push(next.value.id);
          return undefined;
        } catch (caught: unknown) {
          return caught;
        }
      })();
      assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
      assert.equal(Status[error.code], 'RESOURCE_EXHAUSTED');
      assert.match(error.details, new RegExp(`more than ${queueSize} changes behind`));
      assert.ok(received.length < inserted);
      assert.deepEqual(
        received,
        Array.from({length: received.length}, (_, i) => 1000 + i + 1),
      );
      fast.cancel();
    } finally {
      await books.close();
    }
  });

  test('shutdown ends open watches with UNAVAILABLE and completes without waiting for them', async () => {
    // A shutdown timeout far beyond the test's: a shutdown that waited for
    // the watches to end would not complete before the test is cancelled.
    const books = await startBooksServer({shutdownTimeoutMs: 600_000});
    const watchers = [openWatcher(books.client), openWatcher(books.connect().client)];
    await Promise.all(watchers.map((watcher) => watcher.ready));
    await books.server.shutdown();
    for (const watcher of watchers) {
      const error = await watcher.ended;
      assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
      assert.equal(Status[error.code], 'UNAVAILABLE');
    }
    assert.equal(books.hub.watcherCount, 0);
    await books.close();
  });
});
