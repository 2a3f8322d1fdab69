import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../../src/client/client.js';
import type {BookStore} from '../../src/domain/book-store.js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';
import {defaultConfig} from '../../src/server/config.js';
import {PostgresStore} from '../../src/store/postgres-store.js';
import {SqliteStore} from '../../src/store/sqlite-store.js';
import {startServerProcess, type ServerProcess} from './processes.js';
import {dropSchema, postgresStoreOptions, TEST_DATABASE_URL, uniqueSchema} from './stores.js';

/**
 * Inserts books from `writers` concurrent loops, one after another in each,
 * until the server dies under them; returns the ids whose Insert returned
 * OK. The server is killed with SIGKILL once `killAfter` inserts were
 * acknowledged, while others are in flight. Concurrent writers put several
 * inserts in one commit.
 */
async function insertUntilKilled(server: ServerProcess, killAfter: number, writers: number): Promise<number[]> {
  // The deadline only bounds a hung call: a busy disk may take seconds to sync.
  const {client, close} = createBooksClient(server.address, {timeoutMs: 30_000});
  const acknowledged: number[] = [];
  const write = async (firstId: number): Promise<void> => {
    for (let id = firstId; id < firstId + 100_000; id++) {
      const insert = client.insert({id, title: `Book ${id}`, author: 'Durable'});
      if (acknowledged.length >= killAfter) server.child.kill('SIGKILL');
      try {
        await insert;
        acknowledged.push(id);
      } catch (error: unknown) {
        if (error instanceof ClientError && error.code === Status.UNAVAILABLE) return;
        throw error;
      }
    }
  };
  try {
    await Promise.all(Array.from({length: writers}, (_, writer) => write(1000 + writer * 100_000)));
  } finally {
    close();
  }
  return acknowledged;
}

/**
 * Acknowledged inserts before the kill: enough that writes are in flight when
 * it comes, few enough for a disk that takes a long time to sync.
 */
const KILL_AFTER = 30;

/** Where a server process keeps its books, and the same store opened in this process. */
export interface DurableStore {
  readonly args: string[];
  /** Opens the store as the server would after a restart. */
  reopen(): Promise<BookStore>;
  dispose(): Promise<void>;
}

async function storedIds(store: BookStore): Promise<Set<number>> {
  const ids = new Set<number>();
  for (let after: number | undefined = 0; after !== undefined; ) {
    const page = await store.listPage(after, 1000);
    for (const book of page.books) ids.add(book.id);
    after = page.next;
  }
  return ids;
}

/**
 * Kills a server process with SIGKILL while `writers` insert, then opens its
 * store again in this process (as the restarted server would) and checks
 * that every acknowledged insert is there.
 */
export function durabilityTest(writers: number, create: () => DurableStore): () => Promise<void> {
  return async () => {
    const location = create();
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess(location.args);
      const acknowledged = await insertUntilKilled(server, KILL_AFTER, writers);
      assert.deepEqual(await server.exited, {code: null, signal: 'SIGKILL'});
      assert.ok(acknowledged.length >= KILL_AFTER);
      const store = await location.reopen();
      try {
        const stored = await storedIds(store);
        const lost = acknowledged.filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], `acknowledged books lost after kill -9: ${lost.length}`);
      } finally {
        await store.close();
      }
    } finally {
      server?.child.kill('SIGKILL');
      await location.dispose();
    }
  };
}

export const sqlite = (): DurableStore => {
  const dir = mkdtempSync(join(tmpdir(), 'books-durable-'));
  const path = join(dir, 'books.db');
  return {
    args: ['--db', path],
    reopen: async () => new SqliteStore(path, SEED_BOOKS, defaultConfig()),
    dispose: async () => rmSync(dir, {recursive: true, force: true}),
  };
};

export const postgres = (): DurableStore => {
  const schema = uniqueSchema();
  const connectionString = TEST_DATABASE_URL ?? '';
  return {
    args: ['--database-url', connectionString, '--database-schema', schema],
    reopen: () => PostgresStore.open(postgresStoreOptions(schema), SEED_BOOKS),
    dispose: () => dropSchema(schema),
  };
};
