import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {dropSchema, POSTGRES_AVAILABLE, TEST_DATABASE_URL, uniqueSchema} from './helpers/stores.js';
import {eventually} from './helpers/eventually.js';
import {startTcpProxy} from './helpers/tcp-proxy.js';

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

function durabilityTest(writers: number, args: () => {args: string[]; dispose: () => Promise<void>}): () => Promise<void> {
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

const sqlite = (): {args: string[]; dispose: () => Promise<void>} => {
  const dir = mkdtempSync(join(tmpdir(), 'books-durable-'));
  return {args: ['--db', join(dir, 'books.db')], dispose: async () => rmSync(dir, {recursive: true, force: true})};
};
const postgres = (): {args: string[]; dispose: () => Promise<void>} => {
  const schema = uniqueSchema();
  return {
    args: ['--database-url', TEST_DATABASE_URL ?? '', '--database-schema', schema],
    dispose: () => dropSchema(schema),
  };
};

// One suite per store, so that each stays well within the test timeout on a busy machine.
describe('no acknowledged write is lost to kill -9, sqlite', () => {
  test('one writer', durabilityTest(1, sqlite));
  test('16 concurrent writers (grouped commits)', durabilityTest(16, sqlite));
});

if (POSTGRES_AVAILABLE) {
  describe('no acknowledged write is lost to kill -9, postgres', () => {
    test('one writer', durabilityTest(1, postgres));
    test('16 concurrent writers', durabilityTest(16, postgres));
  });
}

if (POSTGRES_AVAILABLE) describe('PostgreSQL outages', () => {
  test('an unreachable database stops the server from starting, with a message', async () => {
    await assert.rejects(
      startServerProcess(['--database-url', 'postgres://postgres@127.0.0.1:1/test']),
      /server exited before listening: \{"code":1/,
    );
  });

  test('calls fail with UNAVAILABLE while the database is away, and work again when it is back', async () => {
    const url = new URL(TEST_DATABASE_URL ?? '');
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const schema = uniqueSchema();
    const server = await startServerProcess(['--database-url', url.toString(), '--database-schema', schema]);
    const retried: string[] = [];
    const {client, close} = createBooksClient(server.address, {
      timeoutMs: 15_000,
      onRetry: (error) => retried.push(Status[error.code]),
    });
    try {
      assert.equal((await client.get({id: 123})).id, 123);
      await proxy.cut();
      // A write is not retried: it shows the status itself.
      await assert.rejects(
        client.insert({id: 9, title: 'During the outage', author: 'Nobody'}),
        (error) => error instanceof ClientError && error.code === Status.UNAVAILABLE,
      );
      // A read is retried on UNAVAILABLE, and succeeds once the database is back:
      // the pool opens a new connection.
      const read = client.get({id: 123});
      await eventually('the read is being retried', () => retried.length > 0);
      await proxy.restore();
      assert.equal((await read).id, 123);
      assert.ok(retried.every((code) => code === 'UNAVAILABLE'));
    } finally {
      close();
      server.child.kill('SIGTERM');
      await server.exited;
      await proxy.close();
      await dropSchema(schema);
    }
  });
});
