import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startBooksServer} from './helpers/books-server.js';

const SERVING = 1;
const NOT_SERVING = 2;

describe('grpc.health.v1.Health', () => {
  test('reports SERVING for the server and for books.BookService once listening', async () => {
    const books = await startBooksServer();
    const {health, close} = createBooksClient(books.address);
    try {
      assert.deepEqual(await health.check({service: ''}), {status: SERVING});
      assert.deepEqual(await health.check({service: 'books.BookService'}), {status: SERVING});
      await assert.rejects(
        health.check({service: 'no.Such'}),
        (error) => error instanceof ClientError && error.code === Status.NOT_FOUND,
      );
    } finally {
      close();
      await books.close();
    }
  });

  test('turns NOT_SERVING as soon as shutdown begins, then ends the health watch', async () => {
    const books = await startBooksServer();
    const {health, close} = createBooksClient(books.address);
    try {
      const statuses: number[] = [];
      const watch = (async () => {
        try {
          for await (const {status} of health.watch({service: 'books.BookService'})) {
            statuses.push(status);
            if (statuses.length === 1) void books.server.shutdown();
          }
          return undefined;
        } catch (error: unknown) {
          return error;
        }
      })();
      const error = await watch;
      assert.deepEqual(statuses, [SERVING, NOT_SERVING]);
      assert.ok(error instanceof ClientError && error.code === Status.UNAVAILABLE, String(error));
    } finally {
      close();
      await books.close();
    }
  });
});
