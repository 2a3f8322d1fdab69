import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {openWatcher, type Watcher} from './helpers/watcher.js';

const book = (id: number) => ({id, title: `Book ${id}`, author: `Author ${id}`});

// A file of its own: the largest fan-out is the heaviest watch test.
describe('Watch fan-out', () => {
  // Ten inserts to a few watchers; fewer to many, where each insert is hundreds of deliveries.
  for (const [count, inserts] of [
    [2, 10],
    [100, 10],
    [500, 3],
  ] as const) {
    test(`fans every insert out to ${count} watchers, once each, in insert order`, async () => {
      const books = await startBooksServer();
      try {
        // Spread the watchers over a few connections, as separate clients would be.
        const clients = [books.client, ...Array.from({length: 3}, () => books.connect().client)];
        const watchers: Watcher[] = Array.from({length: count}, (_, i) => openWatcher(clients[i % clients.length]!));
        await Promise.all(watchers.map((watcher) => watcher.ready));
        assert.equal(books.hub.watcherCount, count);

        const inserted = Array.from({length: inserts}, (_, i) => book(1000 + i));
        for (const next of inserted) await books.client.insert(next);
        await Promise.all(watchers.map((watcher) => watcher.received(inserted.length)));
        for (const watcher of watchers) assert.deepEqual(watcher.books, inserted);

        for (const watcher of watchers) watcher.cancel();
        await eventually('every watcher has left the hub', () => books.hub.watcherCount === 0);
      } finally {
        await books.close();
      }
    });
  }
});
