import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {eventually} from './helpers/eventually.js';
import {startServerProcess} from './helpers/processes.js';
import {dropSchema, POSTGRES_AVAILABLE, TEST_DATABASE_URL, uniqueSchema} from './helpers/stores.js';
import {startTcpProxy} from './helpers/tcp-proxy.js';

if (POSTGRES_AVAILABLE)
  describe('PostgreSQL outages', () => {
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
