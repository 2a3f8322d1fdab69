import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {startBooksServer} from './helpers/books-server.js';
import {ReflectionClient} from './helpers/reflection-client.js';

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;
type DynamicClient = grpc.Client &
  Record<string, (request: object, callback: Callback) => void> & {
    watch(request: object): grpc.ClientReadableStream<Record<string, unknown>>;
  };

function call(client: DynamicClient, method: string, request: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (error, response) => (error === null ? resolve(response) : reject(error)));
  });
}

describe('server reflection', () => {
  for (const version of ['v1', 'v1alpha'] as const) {
    test(`${version}: lists the services and describes them with their comments`, async () => {
      const books = await startBooksServer();
      try {
        const reflection = new ReflectionClient(books.address, version);
        assert.deepEqual(await reflection.listServices(), ['books.BookService', 'grpc.health.v1.Health']);
        const health = await reflection.filesContaining('grpc.health.v1.Health');
        assert.equal(health.length, 1);
        const services = await reflection.loadService('books.BookService');
        const service = (services['books'] as grpc.GrpcObject)['BookService'] as grpc.ServiceClientConstructor;
        assert.deepEqual(Object.keys(service.service).sort(), [
          'Delete',
          'Get',
          'Insert',
          'List',
          'ListBooks',
          'Watch',
          'WatchChanges',
        ]);
      } finally {
        await books.close();
      }
    });
  }

  test('a client built only from reflection calls every RPC', async () => {
    const books = await startBooksServer();
    const reflection = new ReflectionClient(books.address, 'v1');
    const services = await reflection.loadService('books.BookService');
    const BookService = (services['books'] as grpc.GrpcObject)['BookService'] as grpc.ServiceClientConstructor;
    const client = new BookService(books.address, grpc.credentials.createInsecure()) as unknown as DynamicClient;
    try {
      const watch = client.watch({});
      const watched = new Promise<Record<string, unknown>>((resolve) => watch.once('data', resolve));
      watch.on('error', () => {});
      await new Promise<void>((resolve) => watch.once('metadata', () => resolve()));
      await call(client, 'Insert', {id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'});
      assert.deepEqual(await watched, {id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'});
      watch.cancel();
      assert.equal(((await call(client, 'List', {}))['books'] as unknown[]).length, 2);
      assert.equal((await call(client, 'Get', {id: 2}))['title'], 'The Three Musketeers');
      assert.equal(((await call(client, 'ListBooks', {page_size: 1}))['books'] as unknown[]).length, 1);
      await call(client, 'Delete', {id: 2});
      await assert.rejects(
        call(client, 'Get', {id: 2}),
        (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
      );
    } finally {
      client.close();
      await books.close();
    }
  });
});
