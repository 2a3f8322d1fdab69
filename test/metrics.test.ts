import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {createClient} from '@connectrpc/connect';
import {createGrpcWebTransport} from '@connectrpc/connect-node';
import {createBooksClient} from '../src/client/client.js';
import {WatchHub} from '../src/domain/feed/index.js';
import {BookService} from '../src/gen/es/books/books_pb.js';
import {createMetrics} from '../src/server/metrics.js';
import {freePort} from './helpers/free-port.js';
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

  test('calls to the web port are counted by method, code and protocol', async () => {
    // --web-port 0 turns the web port off: a port free a moment ago instead.
    const server = await startServerProcess(['--metrics-port', '0', '--web-port', String(await freePort())]);
    const listening = server.logs.find((line) => line['msg'] === 'listening');
    const [metricsUrl, webUrl] = [listening?.['metrics'], listening?.['web']].map((url) =>
      String(url).replace('0.0.0.0', '127.0.0.1'),
    );
    try {
      const get = (id: number): Promise<Response> =>
        fetch(`${webUrl}/books.BookService/Get`, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({id}),
        });
      assert.equal((await get(123)).status, 200);
      assert.equal((await get(404)).status, 404);
      const client = createClient(BookService, createGrpcWebTransport({baseUrl: webUrl ?? '', httpVersion: '1.1'}));
      await client.list({});
      const text = await (await fetch(metricsUrl ?? '')).text();
      const counted = (labels: Record<string, string>): number | undefined =>
        sample(text, 'books_web_server_handled_total', labels);
      assert.equal(counted({grpc_method: 'Get', grpc_code: 'OK', protocol: 'connect', grpc_type: 'unary'}), 1);
      assert.equal(counted({grpc_method: 'Get', grpc_code: 'NOT_FOUND', protocol: 'connect'}), 1);
      assert.equal(counted({grpc_method: 'List', grpc_code: 'OK', protocol: 'grpc-web'}), 1);
      assert.equal(
        sample(text, 'books_web_server_handling_seconds_count', {grpc_method: 'List', protocol: 'grpc-web'}),
        1,
      );
      // The gRPC port's metrics count only its own calls.
      assert.equal(sample(text, 'grpc_server_handled_total', {grpc_method: 'Get'}), undefined);
    } finally {
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
