import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {startCli} from './helpers/cli-in-process.js';
import {freePort} from './helpers/free-port.js';

describe('client resilience', () => {
  test('reads of a server reached before are retried with backoff while it restarts, within the deadline', async () => {
    let books = await startBooksServer();
    const port = Number(books.address.split(':')[1]);
    const retries: number[] = [];
    const {client, reached, close} = createBooksClient(books.address, {
      timeoutMs: 10_000,
      onRetry: (_error, attempt) => retries.push(attempt),
    });
    try {
      assert.equal((await client.get({id: 123})).id, 123);
      assert.equal(reached(), true);
      await books.close();
      const get = client.get({id: 123});
      await eventually('a retry is under way', () => retries.length > 0);
      books = await startBooksServer({port});
      assert.equal((await get).title, 'A Tale of Two Cities');
    } finally {
      close();
      await books.close();
    }
  });

  test('the deadline, not an attempt count, ends the retries of a read', async () => {
    const books = await startBooksServer();
    let retries = 0;
    const {client, close} = createBooksClient(books.address, {timeoutMs: 3000, onRetry: () => retries++});
    try {
      await client.list({});
      await books.close();
      await assert.rejects(
        client.list({}),
        (error) => error instanceof ClientError && error.code === Status.DEADLINE_EXCEEDED,
      );
      assert.ok(retries >= 3, `${retries} retries`);
    } finally {
      close();
    }
  });

  test('a server never reached is not retried: the read fails at once with UNAVAILABLE', async () => {
    const port = await freePort();
    let retried = false;
    // A deadline longer than the test's timeout: retrying until it would fail the test.
    const {client, reached, close} = createBooksClient(`127.0.0.1:${port}`, {
      timeoutMs: 120_000,
      onRetry: () => (retried = true),
    });
    try {
      await assert.rejects(
        client.get({id: 123}),
        (error) => error instanceof ClientError && error.code === Status.UNAVAILABLE,
      );
      assert.deepEqual([retried, reached()], [false, false]);
    } finally {
      close();
    }
  });

  test('writes are not retried: an Insert whose reply was lost must not turn into ALREADY_EXISTS', async () => {
    const port = await freePort();
    let retried = false;
    const {client, close} = createBooksClient(`127.0.0.1:${port}`, {onRetry: () => (retried = true)});
    try {
      await assert.rejects(
        client.insert({id: 9, title: 'T', author: 'A'}),
        (error) => error instanceof ClientError && error.code === Status.UNAVAILABLE,
      );
      assert.equal(retried, false);
    } finally {
      close();
    }
  });

  test('watch --reconnect opens the stream again after a server restart, and says so', async () => {
    let books = await startBooksServer();
    const port = Number(books.address.split(':')[1]);
    const watch = startCli(['watch', '--reconnect', '--json', '--address', books.address]);
    try {
      await eventually('the first watch is open', () => books.hub.watcherCount === 1);
      await books.close();
      await watch.output('the interruption', (_stdout, stderr) => stderr.includes('resuming'));
      assert.match(watch.stderr, /watch interrupted \(UNAVAILABLE: server is shutting down\)/);
      books = await startBooksServer({port});
      await eventually('the watch is open again', () => books.hub.watcherCount === 1);
      await books.client.insert({id: 42, title: 'After the restart', author: 'Reconnected'});
      await watch.output('the book', (stdout) => stdout.includes('\n'));
      assert.equal(JSON.parse(watch.stdout).id, 42);
    } finally {
      watch.interrupt();
      await books.close();
    }
    assert.equal((await watch.finished).code, 0);
  });
});
