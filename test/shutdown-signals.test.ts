import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {openWatcher} from './helpers/watcher.js';
import {startServerProcess, type Exit} from './helpers/processes.js';

// A file of its own: each test starts a server process, which takes seconds on a busy machine.
describe('shutdown on SIGTERM and SIGINT', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} with an open watch: the watch ends UNAVAILABLE and the server exits 0 without waiting for it`, async () => {
      // A shutdown timeout far beyond the test's: a server that waited for
      // the watch to end would not exit before the test is cancelled.
      const server = await startServerProcess(['--shutdown-timeout-ms', '600000']);
      const {client, close} = createBooksClient(server.address);
      try {
        const watcher = openWatcher(client);
        await watcher.ready;
        server.child.kill(signal);
        const exit: Exit = await server.exited;
        assert.deepEqual(exit, {code: 0, signal: null});
        const error = await watcher.ended;
        assert.ok(error instanceof ClientError && error.code === Status.UNAVAILABLE, String(error));
        assert.deepEqual(
          server.logs.map((line) => line['msg']).filter((msg) => msg !== 'call'),
          ['starting', 'listening', 'stopping', 'stopped'],
        );
      } finally {
        close();
        server.child.kill('SIGKILL');
      }
    });
  }
});
