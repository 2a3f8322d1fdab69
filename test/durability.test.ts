import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {dropSchema, postgresSkipReason, TEST_DATABASE_URL, uniqueSchema} from './helpers/stores.js';
import {eventually} from './helpers/eventually.js';
import {startTcpProxy} from './helpers/tcp-proxy.js';

/**
 * Inserts one book after another until the server dies under it; returns the
 * ids whose Insert returned OK. The server is killed with SIGKILL once
 * `killAfter` inserts were acknowledged, while the next is in flight.
 */
async function insertUntilKilled(server: ServerProcess, killAfter: number): Promise<number[]> {
  const {client, close} = createBooksClient(server.address, {timeoutMs: 2000});
  const acknowledged: number[] = [];
  try {
    for (let id = 1000; id < 100_000; id++) {
      const insert = client.insert({id, title: `Book ${id}`, author: 'Durable'});
      if (acknowledged.length === killAfter) server.child.kill('SIGKILL');
      try {
        await insert;
        acknowledged.push(id);
      } catch (error: unknown) {
        if (error instanceof ClientError && error.code === Status.UNAVAILABLE) break;
        throw error;
      }
    }
  } finally {
    close();
  }
  return acknowledged;
}

async function listIds(address: string): Promise<Set<number>> {
  const {client, close} = createBooksClient(address);
  try {
    return new Set((await client.list({})).books.map((book) => book.id));
  } finally {
    close();
  }
}

function durabilityTest(args: () => {args: string[]; dispose: () => Promise<void>}): () => Promise<void> {
  return async () => {
    const {args: storeArgs, dispose} = args();
    let first: ServerProcess | undefined;
    try {
      first = await startServerProcess(storeArgs);
      const acknowledged = await insertUntilKilled(first, 300);
      assert.deepEqual(await first.exited, {code: null, signal: 'SIGKILL'});
      assert.ok(acknowledged.length >= 300);
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

describe('no acknowledged write is lost to kill -9', () => {
  test(
    'sqlite',
    durabilityTest(() => {
      const dir = mkdtempSync(join(tmpdir(), 'books-durable-'));
      return {args: ['--db', join(dir, 'books.db')], dispose: async () => rmSync(dir, {recursive: true, force: true})};
    }),
  );

  test(
    'postgres',
    {skip: postgresSkipReason()},
    durabilityTest(() => {
      const schema = uniqueSchema();
      return {
        args: ['--database-url', TEST_DATABASE_URL ?? '', '--database-schema', schema],
        dispose: () => dropSchema(schema),
      };
    }),
  );
});

describe('PostgreSQL outages', {skip: postgresSkipReason()}, () => {
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
      await eventually('the read is being retried', () => retried.length > 0, 10_000);
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
