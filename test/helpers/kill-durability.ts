import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../../src/client/client.js';
import {startServerProcess, type ServerProcess} from './processes.js';
import {dropSchema, TEST_DATABASE_URL, uniqueSchema} from './stores.js';

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
 * Acknowledged inserts before the kill: enough that writes are in flight in
 * every phase of a commit, few enough for a busy disk.
 */
const KILL_AFTER = 100;

async function listIds(address: string): Promise<Set<number>> {
  const {client, close} = createBooksClient(address);
  try {
    return new Set((await client.list({})).books.map((book) => book.id));
  } finally {
    close();
  }
}

export function durabilityTest(writers: number, args: () => {args: string[]; dispose: () => Promise<void>}): () => Promise<void> {
  return async () => {
    const {args: storeArgs, dispose} = args();
    let first: ServerProcess | undefined;
    try {
      first = await startServerProcess(storeArgs);
      const acknowledged = await insertUntilKilled(first, KILL_AFTER, writers);
      assert.deepEqual(await first.exited, {code: null, signal: 'SIGKILL'});
      assert.ok(acknowledged.length >= KILL_AFTER);
      const second = await startServerProcess(storeArgs);
      try {
        const stored = await listIds(second.address);
        const lost = acknowledged.filter((id) => !stored.has(id));
        assert.deepEqual(lost, [], `acknowledged books lost after kill -9: ${lost.length}`);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      first?.child.kill('SIGKILL');
      await dispose();
    }
  };
}

export const sqlite = (): {args: string[]; dispose: () => Promise<void>} => {
  const dir = mkdtempSync(join(tmpdir(), 'books-durable-'));
  return {args: ['--db', join(dir, 'books.db')], dispose: async () => rmSync(dir, {recursive: true, force: true})};
};
export const postgres = (): {args: string[]; dispose: () => Promise<void>} => {
  const schema = uniqueSchema();
  return {
    args: ['--database-url', TEST_DATABASE_URL ?? '', '--database-schema', schema],
    dispose: () => dropSchema(schema),
  };
};
