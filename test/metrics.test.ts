import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {createBooksClient} from '../src/client/client.js';
import {WatchHub} from '../src/domain/feed/index.js';
import {createMetrics} from '../src/server/metrics.js';
import {startServerProcess} from './helpers/processes.js';
import {openWatcher} from './helpers/watcher.js';

function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('Prometheus metrics', () => {
  test('the server process serves RPC counts by method and code, latencies and open watchers', async () => {
    const server = await startServerProcess(['--metrics-port', '0']);
    const metricsUrl = String(server.logs.find((line) => line['msg'] === 'listening')?.['metrics']).replace(
      '0.0.0.0',
      '127.0.0.1',
    );
    const {client, close} = createBooksClient(server.address);
    try {
      await client.list({});
      await assert.rejects(client.get({id: 404}));
      const watcher = openWatcher(client);
      await watcher.ready;
      const text = await (await fetch(metricsUrl)).text();
      assert.equal(sample(text, 'grpc_server_handled_total', {grpc_method: 'List', grpc_code: 'OK'}), 1);
      assert.equal(sample(text, 'grpc_server_handled_total', {grpc_method: 'Get', grpc_code: 'NOT_FOUND'}), 1);
      assert.equal(sample(text, 'grpc_server_handling_seconds_count', {grpc_method: 'List', grpc_code: 'OK'}), 1);
      assert.equal(sample(text, 'books_watchers'), 1);
      assert.equal(sample(text, 'books_watch_dropped_total'), 0);
      assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404);
      watcher.cancel();
    } finally {
      close();
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('watchers ended for falling behind are counted', async () => {
    const hub = new WatchHub<number>(1);
    const metrics = createMetrics(hub);
    const port = await metrics.listen('127.0.0.1', 0);
    try {
      hub.subscribe(new AbortController().signal); // never read
      hub.publish([1]);
      hub.publish([2]);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.equal(sample(text, 'books_watch_dropped_total'), 1);
      assert.equal(sample(text, 'books_watchers'), 0);
    } finally {
      await metrics.close();
    }
  });
});
