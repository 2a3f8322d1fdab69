import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import type {Book} from '../src/domain/book.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {createBooksClient} from '../src/client/client.js';
import {startBooksServer} from './helpers/books-server.js';
import {startServerProcess} from './helpers/processes.js';

/** A store whose inserts wait until the test lets them through. */
class GatedStore extends MemoryStore {
  entered!: () => void;
  readonly insertEntered = new Promise<void>((resolve) => (this.entered = resolve));
  release!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.release = resolve));

  override async insert(book: Book): Promise<void> {
    this.entered();
    await this.#gate;
    return super.insert(book);
  }
}

describe('shutdown', () => {
  test('lets an in-flight unary call finish, then refuses new calls', async () => {
    const store = new GatedStore();
    const books = await startBooksServer({store});
    const insert = books.client.insert({id: 5, title: 'In flight', author: 'Someone'});
    await store.insertEntered;
    const shutdown = books.server.shutdown();
    store.release();
    assert.deepEqual(await insert, {});
    await shutdown;
    assert.deepEqual(await store.get(5), {id: 5, title: 'In flight', author: 'Someone'});
    const late = createBooksClient(books.address, {timeoutMs: 2000});
    // A write, which is not retried, sees the refusal itself.
    await assert.rejects(
      late.client.insert({id: 6, title: 'Too late', author: 'Someone'}),
      (error) => error instanceof ClientError && error.code === Status.UNAVAILABLE,
    );
    late.close();
    await books.close();
  });

  test('with a drain delay, the server answers NOT_SERVING, still serving, before it stops', async () => {
    const server = await startServerProcess(['--drain-delay-ms', '1500']);
    const {client, health, close} = createBooksClient(server.address);
    try {
      assert.deepEqual(await health.check({service: 'books.BookService'}), {status: 1});
      const statuses: number[] = [];
      const watch = (async () => {
        try {
          for await (const {status} of health.watch({service: 'books.BookService'})) {
            statuses.push(status);
            if (statuses.length === 1) server.child.kill('SIGTERM');
            if (status === 2) return;
          }
        } catch {
          // the stream ends when the server stops
        }
      })();
      await watch;
      assert.deepEqual(statuses, [1, 2]);
      // Draining: NOT_SERVING, yet calls are still answered.
      assert.equal((await client.list({})).books.length, 1);
      assert.deepEqual(await server.exited, {code: 0, signal: null});
    } finally {
      close();
      server.child.kill('SIGKILL');
    }
  });

  test('a port already in use is a clear start-up failure, not a hang', async () => {
    const first = await startServerProcess();
    try {
      const port = first.address.split(':').at(-1) ?? '';
      await assert.rejects(startServerProcess(['--port', port]), /server exited before listening: \{"code":1/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});
