import assert from 'node:assert/strict';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {freePort} from './helpers/free-port.js';
import {exitOf, spawnCli} from './helpers/processes.js';

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
      await assert.rejects(client.get({id: 123}), (error) => error instanceof ClientError && error.code === Status.UNAVAILABLE);
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
    const child = spawnCli(['watch', '--reconnect', '--json', '--address', books.address]);
    const exited = exitOf(child);
    const stdout = createInterface({input: child.stdout!});
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await eventually('the first watch is open', () => books.hub.watcherCount === 1);
      await books.close();
      await eventually('the CLI reports the interruption', () => stderr.includes('resuming'));
      assert.match(stderr, /watch interrupted \(UNAVAILABLE: server is shutting down\)/);
      books = await startBooksServer({port});
      await eventually('the watch is open again', () => books.hub.watcherCount === 1, 15_000);
      const line = once(stdout, 'line');
      await books.client.insert({id: 42, title: 'After the restart', author: 'Reconnected'});
      assert.equal(JSON.parse(((await line) as [string])[0]).id, 42);
      child.kill('SIGINT');
      assert.deepEqual(await exited, {code: 0, signal: null});
    } finally {
      child.kill('SIGKILL');
      await books.close();
    }
  });
});
