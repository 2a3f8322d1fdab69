import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {createServer} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {followChanges} from '../src/client/follow-changes.js';
import type {Book} from '../src/domain/book.js';
import {BookServiceDefinition} from '../src/gen/books/books.js';
import {startBooksServer} from './helpers/books-server.js';
import {startCli} from './helpers/cli-in-process.js';
import {eventually} from './helpers/eventually.js';

// The watchers of a restarted server must not all come back in the same few
// milliseconds: each reconnect waits a random delay from the upper half of
// its backoff step. These tests read the delays the client reports, never
// how long anything took.

const FOLLOWERS = 6;

describe('reconnects are jittered', () => {
  test('followers of a server that stopped are told different delays, each within the first step', async () => {
    const books = await startBooksServer();
    const stop = new AbortController();
    const connections = Array.from({length: FOLLOWERS}, () => createBooksClient(books.address));
    const delays: number[][] = connections.map(() => []);
    let opened = 0;
    const following = connections.map(async ({client}, i) => {
      for await (const _ of followChanges(client, {
        signal: stop.signal,
        onOpen: () => opened++,
        onInterrupted: (_error, retryInMs) => delays[i]?.push(retryInMs),
      })) {
        // Only the delays matter here.
      }
    });
    try {
      await eventually('every follower is open', () => opened === FOLLOWERS);
      await books.close();
      await eventually('every follower was interrupted', () => delays.every((each) => each.length > 0));
      const first = delays.map(([retryInMs]) => retryInMs ?? 0);
      // The first step is 250 ms: a delay from 125 to 250, after a break of a stream that was open.
      assert.ok(
        first.every((retryInMs) => retryInMs >= 125 && retryInMs <= 250),
        `first delays: ${first.join(', ')}`,
      );
      assert.ok(new Set(first).size > 1, `every follower waits ${first[0]} ms: they would come back in lockstep`);
    } finally {
      stop.abort();
      await Promise.all(following);
      for (const connection of connections) connection.close();
      await books.close();
    }
  });

  test("watch --reconnect on Watch (the workshop's server) waits a different delay each time, reset after each open", async (t) => {
    // A server without WatchChanges whose Watch ends after one book: every
    // reconnection opens, so each wait is a first step again.
    const {listBooks: _, watchChanges: __, ...workshopMethods} = BookServiceDefinition.methods;
    const book: Book = {id: 5, title: 'Title 5', author: 'Author 5'};
    const workshop = createServer();
    workshop.add(
      {...BookServiceDefinition, methods: workshopMethods},
      {
        list: async () => ({books: []}),
        insert: async () => ({}),
        get: async () => book,
        delete: async () => ({}),
        async *watch() {
          yield book;
        },
      },
    );
    const port = await workshop.listen('127.0.0.1:0');
    t.after(() => workshop.forceShutdown());
    const cli = startCli(['watch', '--reconnect', '--json', '--address', `127.0.0.1:${port}`]);
    const waits = (): number[] => [...cli.stderr.matchAll(/reconnecting in (\d+) ms/g)].map(([, ms]) => Number(ms));
    try {
      await cli.output('four reconnections', () => waits().length >= 4);
      const seen = waits().slice(0, 4);
      // The first step is 500 ms: from 250 to 500 each time, as each stream opened before it ended.
      assert.ok(
        seen.every((ms) => ms >= 250 && ms <= 500),
        `delays: ${seen.join(', ')}`,
      );
      assert.ok(new Set(seen).size > 1, `every reconnection waits ${seen[0]} ms`);
    } finally {
      cli.interrupt();
    }
    assert.equal((await cli.finished).code, 0);
  });
});
