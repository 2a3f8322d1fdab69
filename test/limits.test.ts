import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {type ClientError, Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {startBooksServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {startTcpProxy} from './helpers/tcp-proxy.js';
import {openWatcher} from './helpers/watcher.js';
import {hasCode} from './helpers/status.js';

describe('limits', () => {
  test('a request over the size limit is RESOURCE_EXHAUSTED, and the server goes on', async () => {
    const books = await startBooksServer({maxRequestBytes: 16 * 1024});
    try {
      await assert.rejects(
        books.client.insert({id: 1, title: 'x'.repeat(20_000), author: 'Big'}),
        hasCode(Status.RESOURCE_EXHAUSTED),
      );
      // Under the size limit but over the length rule: the domain's answer.
      await assert.rejects(
        books.client.insert({id: 1, title: 'x'.repeat(10_000), author: 'Big'}),
        hasCode(Status.INVALID_ARGUMENT),
      );
      assert.equal((await books.client.list({})).books.length, 1);
    } finally {
      await books.close();
    }
  });

  test('watches over the cap are RESOURCE_EXHAUSTED; a freed place can be taken again', async () => {
    const books = await startBooksServer({maxWatchers: 3});
    try {
      const watchers = [openWatcher(books.client), openWatcher(books.client), openWatcher(books.client)] as const;
      await Promise.all(watchers.map((watcher) => watcher.ready));
      const refused = openWatcher(books.client);
      const error = await refused.ended;
      assert.ok(hasCode(Status.RESOURCE_EXHAUSTED)(error), String(error));
      assert.match((error as ClientError).details, /at most 3 open watches/);
      watchers[0].cancel();
      await eventually('a place is free', () => books.hub.watcherCount === 2);
      const again = openWatcher(books.client);
      await again.ready;
      assert.equal(books.hub.watcherCount, 3);
      for (const watcher of [...watchers, again]) watcher.cancel();
    } finally {
      await books.close();
    }
  });

  test('keepalive frees the watch of a client whose connection went silent', async () => {
    const books = await startBooksServer({keepaliveMs: 1000});
    const [host, port] = books.address.split(':') as [string, string];
    const proxy = await startTcpProxy(host, Number(port));
    const {client, close} = createBooksClient(`127.0.0.1:${proxy.port}`);
    try {
      const watcher = openWatcher(client);
      await watcher.ready;
      assert.equal(books.hub.watcherCount, 1);
      proxy.freeze();
      // With no keepalive the frozen connection would hold the watch for good.
      await eventually('the silent watcher is dropped', () => books.hub.watcherCount === 0);
    } finally {
      close();
      await proxy.close();
      await books.close();
    }
  });
});
