import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test, type TestContext} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient, type BooksClient} from '../src/client/client.js';
import {MAX_TEXT_LENGTH, type Book} from '../src/domain/book.js';
import {SEED_BOOKS} from '../src/domain/seed-books.js';
import {defaultConfig} from '../src/server/config.js';
import {openSqlite} from '../src/store/sqlite-driver.js';
import {SqliteStore} from '../src/store/sqlite-store.js';
import {startBooksServer} from './helpers/books-server.js';
import {openChangeStream, type ChangeStream} from './helpers/change-stream.js';
import {eventually} from './helpers/eventually.js';
import {exitOf, startServerProcess, type ServerProcess} from './helpers/processes.js';

/** A book of about 1 KiB (two-byte characters), so that a few hundred fill a small disk and a few thousand an HTTP/2 window. */
function bigBook(id: number): Book {
  const text = `${id} `.padEnd(MAX_TEXT_LENGTH, 'é');
  return {id, title: text, author: text};
}

/**
 * Steps undone in reverse order, in one t.after: a server before the disk it
 * writes to, the mount before its directory. Every step runs even if one
 * before it fails, so that a failed test leaves no mount behind.
 */
function cleanups(t: TestContext): (step: () => unknown) => void {
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const step of steps.reverse())
      await Promise.resolve()
        .then(step)
        .catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });
  return (step) => steps.push(step);
}

/** A new directory, removed with everything in it by `undo`. */
function tempDir(prefix: string, undo: (step: () => unknown) => void): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  undo(() => rmSync(dir, {recursive: true, force: true}));
  return dir;
}

/** A directory on a tmpfs of `size` (mount's syntax: 600k), or the reason this machine cannot mount one. */
function mountTmpfs(size: string, undo: (step: () => unknown) => void): string | {skip: string} {
  const dir = tempDir('books-tmpfs-', undo);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {stdio: 'pipe'});
  } catch (error: unknown) {
    return {skip: `cannot mount a tmpfs for a full disk (needs root): ${String(error).split('\n')[0]}`};
  }
  undo(() => execFileSync('umount', [dir]));
  return dir;
}

async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(server.child), {code: 0, signal: null});
}

function failsWith(code: Status, details: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ClientError, String(error));
    assert.equal(Status[error.code], Status[code], error.details);
    assert.match(error.details, details);
    return true;
  };
}

/** Every book of the catalogue through ListBooks, in its order (insertion order). */
async function listedIds(client: BooksClient): Promise<number[]> {
  const ids: number[] = [];
  let pageToken = '';
  do {
    const page = await client.listBooks({pageSize: 1000, pageToken});
    ids.push(...page.books.map((book) => book.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

/** Reads an include_existing snapshot to its end (the response that carries the cursor); returns its book ids. */
async function snapshotIds(client: BooksClient): Promise<number[]> {
  const stream = openChangeStream(client, {includeExisting: true});
  try {
    const ids: number[] = [];
    for (;;) {
      const response = await stream.next();
      ids.push(...response.changes.map((change) => change.book!.id));
      if (response.cursor !== '') return ids;
    }
  } finally {
    stream.close();
  }
}

/**
 * A consumer of WatchChanges from now: the ids of the created changes it
 * received, and the cursor after the last of them, until it is stopped.
 */
function followCreated(
  client: BooksClient,
  afterCursor = '',
): {ids: number[]; cursor(): string; stop(): Promise<void>} {
  const ids: number[] = [];
  let cursor = afterCursor;
  const stream: ChangeStream = openChangeStream(client, {afterCursor});
  let stopped = false;
  // An error other than the stop is kept for stop() to throw, rather than left unhandled.
  const reading = (async () => {
    while (!stopped) {
      const response = await stream.next();
      // Both at once, so that the cursor is always right after the last id kept.
      ids.push(...response.changes.map((change) => change.book!.id));
      if (response.cursor !== '') cursor = response.cursor;
    }
  })().then(
    () => undefined,
    (error: unknown) => (stopped ? undefined : {error}),
  );
  return {
    ids,
    cursor: () => cursor,
    async stop() {
      stopped = true;
      stream.close();
      const failed = await reading;
      if (failed !== undefined) throw failed.error;
    },
  };
}

describe('SQLite faults', () => {
  test('a full disk: inserts get RESOURCE_EXHAUSTED "storage full", reads go on, and inserts succeed again once there is room, losing nothing', async (t) => {
    const undo = cleanups(t);
    const dir = mountTmpfs('600k', undo);
    if (typeof dir !== 'string') {
      t.skip(dir.skip);
      return;
    }
    // Room that the test gives back later, as an operator deleting old logs would.
    const filler = join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc(256 * 1024));
    const db = ['--store', 'sqlite', '--db', join(dir, 'books.db')];
    let server = await startServerProcess(db);
    undo(() => server.child.kill('SIGKILL'));
    // A deadline well past the busy timeout and a slow sync: the test waits for answers, not for time.
    let connection = createBooksClient(server.address, {timeoutMs: 30_000});
    undo(() => connection.close());
    const {client} = connection;
    const consumer = followCreated(client);
    undo(() => consumer.stop());

    // Four writers, so that some inserts share a commit that fails as a whole.
    const acknowledged: number[] = [];
    const failures: unknown[] = [];
    const writer = async (first: number): Promise<void> => {
      for (let id = first; ; id++) {
        try {
          await client.insert(bigBook(id));
          acknowledged.push(id);
        } catch (error: unknown) {
          failures.push(error);
          return;
        }
      }
    };
    await Promise.all([1_000, 2_000, 3_000, 4_000].map(writer));
    assert.ok(acknowledged.length > 10, `${acknowledged.length} inserts acknowledged before the disk was full`);
    for (const failure of failures) assert.ok(failsWith(Status.RESOURCE_EXHAUSTED, /^storage full$/)(failure));

    // Reads go on while the disk is full, and the process lives.
    const stored = [SEED_BOOKS[0].id, ...acknowledged].sort((a, b) => a - b);
    const last = acknowledged.at(-1) ?? 0;
    assert.deepEqual((await client.get({id: last})).id, last);
    assert.deepEqual(
      (await client.list({})).books.map((book) => book.id).sort((a, b) => a - b),
      stored,
    );
    assert.deepEqual(
      (await listedIds(client)).sort((a, b) => a - b),
      stored,
    );
    assert.deepEqual(
      (await snapshotIds(client)).sort((a, b) => a - b),
      stored,
    );
    assert.equal(server.child.exitCode, null);
    // The consumer stops here and resumes from its cursor after the restart.
    await consumer.stop();

    // Room comes back: inserts succeed again, with no restart.
    rmSync(filler);
    for (let id = 5_000; id < 5_020; id++) {
      await client.insert(bigBook(id));
      acknowledged.push(id);
    }

    // After a restart, every acknowledged insert is there, and nothing else.
    connection.close();
    await stopServer(server);
    server = await startServerProcess(db);
    connection = createBooksClient(server.address, {timeoutMs: 30_000});
    const after = connection.client;
    const listed = await listedIds(after);
    assert.deepEqual(
      [...listed].sort((a, b) => a - b),
      [SEED_BOOKS[0].id, ...acknowledged].sort((a, b) => a - b),
    );

    // The consumer, resumed from its cursor, got every acknowledged insert once, in commit order (the catalogue's).
    const resumed = followCreated(after, consumer.cursor());
    undo(() => resumed.stop());
    // Once this insert comes, every earlier change has.
    await after.insert(bigBook(9_999));
    await eventually('the resumed consumer reached the last insert', () => resumed.ids.includes(9_999));
    assert.deepEqual([...consumer.ids, ...resumed.ids], [...listed.filter((id) => id !== SEED_BOOKS[0].id), 9_999]);
    await resumed.stop();
    await stopServer(server);
  });

  test('a database locked by another connection beyond the busy timeout: the insert gets UNAVAILABLE, then works once the lock is gone', async (t) => {
    const undo = cleanups(t);
    const path = join(tempDir('books-busy-', undo), 'books.db');
    const server = await startServerProcess(['--store', 'sqlite', '--db', path]);
    undo(() => server.child.kill('SIGKILL'));
    const {client, close} = createBooksClient(server.address, {timeoutMs: 30_000});
    undo(close);

    // What a maintenance script in the sqlite3 shell, or a second server on the same file, does.
    const other = openSqlite(path);
    undo(() => other.close());
    other.exec('BEGIN EXCLUSIVE');
    await assert.rejects(client.insert(bigBook(1)), failsWith(Status.UNAVAILABLE, /locked/));
    other.exec('ROLLBACK');

    await client.insert(bigBook(1));
    assert.equal((await client.get({id: 1})).id, 1);
    assert.equal(server.child.exitCode, null);
    await stopServer(server);
  });

  test('a snapshot whose client stops reading lets go of its read transaction, and the client then gets UNAVAILABLE', async (t) => {
    const undo = cleanups(t);
    const path = join(tempDir('books-idle-', undo), 'books.db');
    // Far more than the HTTP/2 windows and both ends' buffers hold, so that the server waits for the client.
    const count = 30_000;
    const seed = Array.from({length: count}, (_, index) => bigBook(index + 1));
    const books = await startBooksServer({
      store: new SqliteStore(path, seed, {...defaultConfig(), snapshotIdleTimeoutMs: 300}),
    });
    undo(() => books.close());

    const stream = openChangeStream(books.client, {includeExisting: true});
    undo(() => stream.close());
    let received = (await stream.next()).changes.length;
    // A commit after the snapshot began: the snapshot's read transaction keeps it from being checkpointed.
    await books.client.insert(bigBook(count + 1));

    const checker = openSqlite(path);
    undo(() => checker.close());
    checker.exec('PRAGMA busy_timeout = 0');
    await eventually('a checkpoint of the whole WAL, once the snapshot is released', () => {
      const result = checker.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as {
        busy: number;
        log: number;
        checkpointed: number;
      };
      return result.busy === 0 && result.log === result.checkpointed;
    });

    // The client reads again: what was already on its way, then the end of the stream.
    await assert.rejects(
      async () => {
        for (;;) {
          const response = await stream.next();
          received += response.changes.length;
          // The snapshot's last response: it all fit in the buffers, and the server never waited.
          assert.equal(response.cursor, '', `the whole snapshot came (${received} books): make the catalogue larger`);
        }
      },
      failsWith(Status.UNAVAILABLE, /abandoned/),
    );
    assert.ok(received < count, `${received} of ${count} books came before the stream ended`);
  });
});
