import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {SEED_BOOKS} from '../src/domain/seed-books.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {settledHeapUsed} from './helpers/heap.js';
import {openWatchFlood} from './helpers/watch-flood.js';

// A file of its own, beside hostile-input.test.ts: the heaviest hostile case,
// with a server (and a heap to measure) of its own.

/** The server answers, no watcher is left, and nothing was logged as the server's own fault. */
async function assertUnharmed(books: TestServer): Promise<void> {
  const {books: listed} = await books.client.list({});
  assert.deepEqual(
    listed.map((book) => book.id),
    SEED_BOOKS.map((book) => book.id),
  );
  await eventually('no watcher is left', () => books.hub.watcherCount === 0);
  assert.deepEqual(
    books.logs.filter((line) => line['level'] === 'error'),
    [],
  );
}

describe('hostile input: watches dropped without a goodbye', () => {
  let books: TestServer;
  before(async () => {
    books = await startBooksServer();
  });
  after(() => books.close());

  test('1,000 watches on 50 connections that drop without closing: all freed, memory back near its baseline', async (t) => {
    const flood = {connections: 50, watchesPerConnection: 20, timeoutMs: 20_000};
    const total = flood.connections * flood.watchesPerConnection;
    // Node warns of a "possible memory leak" when many listeners wait on one
    // signal: an operator would read that in the server's log as a leak.
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    // A small round first, so that code paths and pools used the first time
    // are part of the baseline rather than counted as growth.
    const warmUp = await openWatchFlood(books.address, {...flood, connections: 2});
    warmUp.drop();
    await eventually('the warm-up watchers are freed', () => books.hub.watcherCount === 0);
    // The test harness keeps every server log line (one per call); they are
    // the test's memory, not the server's, so they are dropped before each reading.
    books.logs.splice(0);
    const baseline = await settledHeapUsed();

    const opened = await openWatchFlood(books.address, flood);
    assert.equal(books.hub.watcherCount, total);
    const held = (await settledHeapUsed()) - baseline;
    const droppedAt = performance.now();
    opened.drop();
    await eventually(`all ${total} watchers are freed`, () => books.hub.watcherCount === 0);
    const freedInMs = performance.now() - droppedAt;
    await assertUnharmed(books);

    books.logs.splice(0);
    const residue = (await settledHeapUsed()) - baseline;
    const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
    t.diagnostic(
      `freed in ${Math.round(freedInMs)} ms; open watches held ${mib(held)}, ${mib(residue)} remained after`,
    );
    // The open watches hold about 17 KiB each here (server and these raw
    // clients share the process). What remains is V8's compiled code and
    // type feedback plus pools, about 1 MiB; leaking even a quarter of the
    // watches (their streams, sessions or queues) would leave far more.
    assert.ok(held > 0, `the open watches held ${mib(held)}`);
    assert.ok(residue < held / 4, `${mib(residue)} remained of the ${mib(held)} the open watches held`);
    assert.deepEqual(warnings, []);
  });
});
