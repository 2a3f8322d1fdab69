import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {fromBinary} from '@bufbuild/protobuf';
import {Code, ConnectError, createClient, type Client, type Transport} from '@connectrpc/connect';
import {createConnectTransport, createGrpcWebTransport} from '@connectrpc/connect-node';
import type {Book} from '../src/domain/book.js';
import {BookService, ChangeType, type WatchChangesResponse} from '../src/gen/es/books/books_pb.js';
import {BadRequestSchema} from '../src/gen/es/google/rpc/error_details_pb.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer, type TestServerOptions} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';

// The web port (gRPC-Web and Connect on HTTP/1.1) against real servers on
// free ports: connect-node's own clients for every method, plain fetch for
// the Connect JSON a page or curl sends, and the gRPC port's rules.

const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});
const SEED: Book = {id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'};

async function startWebServer(options: TestServerOptions = {}): Promise<TestServer & {webUrl: string}> {
  const books = await startBooksServer({store: new MemoryStore([SEED]), web: true, ...options});
  const {webUrl} = books;
  assert.ok(webUrl !== undefined);
  return Object.assign(books, {webUrl});
}

const TRANSPORTS: Record<string, (baseUrl: string) => Transport> = {
  'Connect JSON': (baseUrl) => createConnectTransport({baseUrl, httpVersion: '1.1'}),
  'Connect binary': (baseUrl) => createConnectTransport({baseUrl, httpVersion: '1.1', useBinaryFormat: true}),
  'gRPC-Web': (baseUrl) => createGrpcWebTransport({baseUrl, httpVersion: '1.1'}),
};

/** The code a call failed with, from connect-node's client. */
async function codeOf(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (error: unknown) {
    return ConnectError.from(error).code;
  }
  assert.fail('expected the call to fail');
}

/** Reads responses until `count` changes have arrived. */
async function readChanges(
  stream: AsyncIterator<WatchChangesResponse>,
  count: number,
): Promise<{id: number; type: ChangeType; cursor: string}[]> {
  const changes: {id: number; type: ChangeType; cursor: string}[] = [];
  while (changes.length < count) {
    const next = await stream.next();
    assert.ok(!next.done, 'the stream ended');
    for (const {type, book: changed, cursor} of next.value.changes) changes.push({id: changed?.id ?? 0, type, cursor});
  }
  return changes;
}

describe('web port: every method over each web protocol', () => {
  let books: TestServer & {webUrl: string};
  before(async () => {
    books = await startWebServer();
  });
  after(() => books.close());

  let base = 1000;
  for (const [protocol, transport] of Object.entries(TRANSPORTS)) {
    describe(protocol, () => {
      base += 1000;
      const ids = {inserted: base + 1, watched: base + 2, a: base + 3, b: base + 4, c: base + 5};
      let client: Client<typeof BookService>;
      before(() => {
        client = createClient(BookService, transport(books.webUrl));
      });

      test('List, Insert, Get, ListBooks and Delete, as over gRPC', async () => {
        const listed = await client.list({});
        assert.ok(
          listed.books.some(({id, title, author}) => id === SEED.id && title === SEED.title && author === SEED.author),
        );
        await client.insert(book(ids.inserted));
        const got = await client.get({id: ids.inserted});
        assert.deepEqual({id: got.id, title: got.title, author: got.author}, book(ids.inserted));
        const page = await client.listBooks({pageSize: 1});
        assert.equal(page.books.length, 1);
        assert.notEqual(page.nextPageToken, '');
        const rest = await client.listBooks({pageSize: 1000, pageToken: page.nextPageToken});
        assert.ok(rest.books.some(({id}) => id === ids.inserted));
        await client.delete({id: ids.inserted});
        assert.equal(await codeOf(client.get({id: ids.inserted})), Code.NotFound);
      });

      test('errors: NOT_FOUND, ALREADY_EXISTS, and INVALID_ARGUMENT with google.rpc.BadRequest', async () => {
        assert.equal(await codeOf(client.delete({id: 404})), Code.NotFound);
        assert.equal(await codeOf(client.insert(SEED)), Code.AlreadyExists);
        try {
          await client.insert({id: 0, title: ' ', author: 'Someone'});
          assert.fail('expected INVALID_ARGUMENT');
        } catch (error: unknown) {
          const connectError = ConnectError.from(error);
          assert.equal(connectError.code, Code.InvalidArgument);
          const [badRequest] = connectError.findDetails(BadRequestSchema);
          assert.deepEqual(
            badRequest?.fieldViolations.map(({field}) => field),
            ['id', 'title'],
          );
        }
        assert.equal(await codeOf(client.listBooks({pageToken: 'not a token'})), Code.InvalidArgument);
      });

      test('Watch streams each book inserted after it began', async () => {
        const stop = new AbortController();
        const watchers = books.hub.watcherCount;
        const stream = client.watch({}, {signal: stop.signal})[Symbol.asyncIterator]();
        try {
          const first = stream.next();
          await eventually('the watch is registered', () => books.hub.watcherCount === watchers + 1);
          await books.client.insert(book(ids.watched));
          const {value} = await first;
          assert.equal(value?.id, ids.watched);
        } finally {
          stop.abort();
        }
        await eventually('the cancelled watch is freed', () => books.hub.watcherCount === watchers);
      });

      test('WatchChanges: every insert and delete with its cursor, and a resume from a cursor', async () => {
        const stop = new AbortController();
        const stream = client.watchChanges({}, {signal: stop.signal})[Symbol.asyncIterator]();
        let afterA: string;
        try {
          const start = await stream.next();
          assert.equal(start.value?.changes.length, 0);
          assert.notEqual(start.value?.cursor, '');
          await client.insert(book(ids.a));
          await client.insert(book(ids.b));
          const changes = await readChanges(stream, 2);
          assert.deepEqual(
            changes.map(({id, type}) => [id, type]),
            [
              [ids.a, ChangeType.CREATED],
              [ids.b, ChangeType.CREATED],
            ],
          );
          afterA = changes[0]?.cursor ?? '';
        } finally {
          stop.abort();
        }
        await client.delete({id: ids.a});
        await client.insert(book(ids.c));
        // From the cursor after a: b, a's deletion, c; nothing lost, nothing repeated.
        const resumed = new AbortController();
        const again = client.watchChanges({afterCursor: afterA}, {signal: resumed.signal})[Symbol.asyncIterator]();
        try {
          const changes = await readChanges(again, 3);
          assert.deepEqual(
            changes.map(({id, type}) => [id, type]),
            [
              [ids.b, ChangeType.CREATED],
              [ids.a, ChangeType.DELETED],
              [ids.c, ChangeType.CREATED],
            ],
          );
        } finally {
          resumed.abort();
        }
        await client.delete({id: ids.b});
        await client.delete({id: ids.c});
        assert.equal(
          await codeOf(readChanges(client.watchChanges({afterCursor: 'nonsense'})[Symbol.asyncIterator](), 1)),
          Code.InvalidArgument,
        );
      });
    });
  }
});

/** A Connect JSON call as a page, fetch or curl makes it. */
async function postJson(
  webUrl: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{status: number; body: Record<string, unknown>; headers: Headers}> {
  const response = await fetch(`${webUrl}/books.BookService/${method}`, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...headers},
    body: JSON.stringify(body),
  });
  return {status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers};
}

describe('web port: Connect JSON with plain fetch', () => {
  let books: TestServer & {webUrl: string};
  before(async () => {
    books = await startWebServer();
  });
  after(() => books.close());
  const post = (method: string, body: unknown): ReturnType<typeof postJson> => postJson(books.webUrl, method, body);

  test('Get answers the book as JSON; a missing one is HTTP 404 not_found', async () => {
    const found = await post('Get', {id: 123});
    assert.deepEqual([found.status, found.body], [200, SEED]);
    const missing = await post('Get', {id: 404});
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {code: 'not_found', message: 'book 404 not found'});
  });

  test('Insert: ok, then already_exists (409); an invalid book is invalid_argument with its field violations', async () => {
    const inserted = await post('Insert', {id: 7, title: 'Dune', author: 'Frank Herbert'});
    assert.deepEqual([inserted.status, inserted.body], [200, {}]);
    const again = await post('Insert', {id: 7, title: 'Dune', author: 'Frank Herbert'});
    assert.equal(again.status, 409);
    assert.equal(again.body['code'], 'already_exists');
    const invalid = await post('Insert', {id: 8, title: '', author: 'x'.repeat(257)});
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body['code'], 'invalid_argument');
    const [detail] = invalid.body['details'] as {type: string; value: string}[];
    assert.equal(detail?.type, 'google.rpc.BadRequest');
    // The detail's value is the binary google.rpc.BadRequest (base64), as gRPC's trailer carries it.
    const badRequest = fromBinary(BadRequestSchema, Buffer.from(detail?.value ?? '', 'base64'));
    assert.deepEqual(
      badRequest.fieldViolations.map(({field, description}) => ({field, description})),
      [
        {field: 'title', description: 'must not be empty or blank'},
        {field: 'author', description: 'must be at most 256 characters'},
      ],
    );
    assert.equal((await post('Delete', {id: 7})).status, 200);
  });

  test('Delete, then Get and Delete of the deleted book are not_found', async () => {
    await post('Insert', {id: 9, title: 'Emma', author: 'Jane Austen'});
    assert.deepEqual((await post('Delete', {id: 9})).body, {});
    assert.equal((await post('Get', {id: 9})).status, 404);
    assert.equal((await post('Delete', {id: 9})).body['code'], 'not_found');
  });

  test('List and ListBooks', async () => {
    assert.deepEqual((await post('List', {})).body, {books: [SEED]});
    await post('Insert', {id: 10, title: 'Ulysses', author: 'James Joyce'});
    const first = await post('ListBooks', {pageSize: 1});
    assert.deepEqual(first.body['books'], [SEED]);
    const next = await post('ListBooks', {pageSize: 1, pageToken: first.body['nextPageToken']});
    assert.deepEqual(next.body, {books: [{id: 10, title: 'Ulysses', author: 'James Joyce'}]});
    await post('Delete', {id: 10});
  });

  test('a request that is not a well-formed message (invalid UTF-8, field 0) is internal, as on the gRPC port', async () => {
    const postBinary = async (method: string, bytes: number[]): Promise<[number, unknown]> => {
      const response = await fetch(`${books.webUrl}/books.BookService/${method}`, {
        method: 'POST',
        headers: {'content-type': 'application/proto'},
        body: Buffer.from(bytes),
      });
      return [response.status, ((await response.json()) as Record<string, unknown>)['code']];
    };
    // Insert {id: 5, title: 0xff 0xfe, author: "A"}: refused, not stored with replacement characters.
    assert.deepEqual(await postBinary('Insert', [0x08, 5, 0x12, 2, 0xff, 0xfe, 0x1a, 1, 0x41]), [500, 'internal']);
    assert.equal((await post('Get', {id: 5})).status, 404);
    assert.deepEqual(await postBinary('Get', [0x00, 5]), [500, 'internal']);
  });

  test('calls are logged as the gRPC port logs them', async () => {
    await post('Get', {id: 405});
    assert.ok(books.logs.some((line) => line['method'] === '/books.BookService/Get' && line['code'] === 'NOT_FOUND'));
  });
});

describe('web port: the gRPC port rules', () => {
  test('--token: writes need the bearer token; --auth-reads: reads too', async (t) => {
    const books = await startWebServer({token: 'secret'});
    t.after(() => books.close());
    const insert = (headers: Record<string, string>): ReturnType<typeof postJson> =>
      postJson(books.webUrl, 'Insert', book(20), headers);
    const missing = await insert({});
    assert.deepEqual([missing.status, missing.body['code']], [401, 'unauthenticated']);
    const wrong = await insert({authorization: 'Bearer nope'});
    assert.deepEqual([wrong.status, wrong.body['code']], [403, 'permission_denied']);
    assert.equal((await insert({authorization: 'Bearer secret'})).status, 200);
    assert.equal((await postJson(books.webUrl, 'Get', {id: 20})).status, 200);

    const guarded = await startWebServer({token: 'secret', authReads: true});
    t.after(() => guarded.close());
    assert.equal((await postJson(guarded.webUrl, 'Get', {id: 123})).status, 401);
    assert.equal((await postJson(guarded.webUrl, 'Get', {id: 123}, {authorization: 'Bearer secret'})).status, 200);
    const client = createClient(BookService, createGrpcWebTransport({baseUrl: guarded.webUrl, httpVersion: '1.1'}));
    const stream = client.watchChanges({})[Symbol.asyncIterator]();
    assert.equal(await codeOf(stream.next()), Code.Unauthenticated);
  });

  test('CORS: an allowed origin is answered and may read the status headers; another is refused', async (t) => {
    const origin = 'https://books.example.com';
    const books = await startWebServer({webOrigins: [origin]});
    t.after(() => books.close());
    const preflight = (from: string): Promise<Response> =>
      fetch(`${books.webUrl}/books.BookService/Insert`, {
        method: 'OPTIONS',
        headers: {
          origin: from,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, connect-protocol-version',
        },
      });
    const allowed = await preflight(origin);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), origin);
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    const allowedHeaders = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'connect-protocol-version', 'x-grpc-web']) {
      assert.ok(allowedHeaders.split(/, */).includes(header), `${header} in ${allowedHeaders}`);
    }
    const refused = await preflight('https://elsewhere.example.com');
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);

    const call = await postJson(books.webUrl, 'Get', {id: 404}, {origin});
    assert.equal(call.headers.get('access-control-allow-origin'), origin);
    const exposed = (call.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/, */);
    for (const header of ['grpc-status', 'grpc-message', 'grpc-status-details-bin']) {
      assert.ok(exposed.includes(header), `${header} in ${exposed.join(', ')}`);
    }
    const foreign = await postJson(books.webUrl, 'Get', {id: 123}, {origin: 'https://elsewhere.example.com'});
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    const closed = await startWebServer();
    t.after(() => closed.close());
    const byDefault = await fetch(`${closed.webUrl}/books.BookService/Get`, {
      method: 'OPTIONS',
      headers: {origin, 'access-control-request-method': 'POST'},
    });
    assert.equal(byDefault.status, 403);
  });

  test('--max-request-bytes: a larger request is resource_exhausted, and the connection stays usable', async (t) => {
    const books = await startWebServer({maxRequestBytes: 1024});
    t.after(() => books.close());
    const big = await postJson(books.webUrl, 'Insert', {id: 30, title: 'x'.repeat(2000), author: 'A'});
    assert.equal(big.body['code'], 'resource_exhausted');
    const client = createClient(BookService, createGrpcWebTransport({baseUrl: books.webUrl, httpVersion: '1.1'}));
    assert.equal(await codeOf(client.insert({id: 30, title: 'x'.repeat(2000), author: 'A'})), Code.ResourceExhausted);
    assert.equal((await client.get({id: 123})).title, SEED.title);
  });

  test('--max-watchers: one watch more than allowed is resource_exhausted', async (t) => {
    const books = await startWebServer({maxWatchers: 1});
    t.after(() => books.close());
    const client = createClient(BookService, createConnectTransport({baseUrl: books.webUrl, httpVersion: '1.1'}));
    const stop = new AbortController();
    t.after(() => stop.abort());
    const open = client.watchChanges({}, {signal: stop.signal})[Symbol.asyncIterator]();
    await open.next();
    assert.equal(await codeOf(client.watchChanges({})[Symbol.asyncIterator]().next()), Code.ResourceExhausted);
  });

  test('a WatchChanges resumed with nothing new answers at once, with its cursor, not at the next heartbeat', async (t) => {
    // Web clients get the response headers with the first message: a page shows "live" only then.
    const books = await startWebServer({changesHeartbeatMs: 3_600_000});
    t.after(() => books.close());
    const client = createClient(BookService, createConnectTransport({baseUrl: books.webUrl, httpVersion: '1.1'}));
    const first = new AbortController();
    const start = await client.watchChanges({}, {signal: first.signal})[Symbol.asyncIterator]().next();
    first.abort();
    const cursor = start.value?.cursor ?? '';
    const stop = new AbortController();
    t.after(() => stop.abort());
    const resumed = await client
      .watchChanges({afterCursor: cursor}, {signal: stop.signal})
      [Symbol.asyncIterator]()
      .next();
    assert.deepEqual([resumed.value?.changes, resumed.value?.cursor], [[], cursor]);
  });

  test('WatchChanges batches the changes committed while a web watcher was being written to', async (t) => {
    const books = await startWebServer();
    t.after(() => books.close());
    const client = createClient(BookService, createGrpcWebTransport({baseUrl: books.webUrl, httpVersion: '1.1'}));
    const stop = new AbortController();
    t.after(() => stop.abort());
    const stream = client.watchChanges({}, {signal: stop.signal})[Symbol.asyncIterator]();
    await stream.next();
    const burst = Array.from({length: 200}, (_, index) => book(90_000 + index));
    // 200 commits in one turn of the event loop, each in a callback of its
    // own, as calls that arrive together are: the watcher is free between them.
    await Promise.all(
      burst.map(
        (each) =>
          new Promise<void>((resolve, reject) => {
            setTimeout(() => books.catalogue.insert(each).then(resolve, reject), 0);
          }),
      ),
    );
    let changes = 0;
    let messages = 0;
    while (changes < burst.length) {
      const next = await stream.next();
      assert.ok(!next.done, 'the stream ended');
      changes += next.value.changes.length;
      messages++;
    }
    assert.equal(changes, burst.length);
    assert.ok(messages < 10, `${burst.length} changes came in ${messages} messages`);
  });

  test('shutdown ends web WatchChanges streams with unavailable, and completes', async () => {
    const books = await startWebServer();
    const streams = Object.values(TRANSPORTS).map((transport) =>
      createClient(BookService, transport(books.webUrl)).watchChanges({})[Symbol.asyncIterator](),
    );
    for (const stream of streams) await stream.next();
    // Shutdown completes whether or not the clients have read the end yet: a
    // keep-alive connection whose stream just ended does not hold it open.
    await books.close();
    assert.ok(!books.logs.some((line) => line['msg'] === 'shutdown timed out; cancelling remaining calls'));
    for (const stream of streams) assert.equal(await codeOf(readChanges(stream, 1)), Code.Unavailable);
  });
});
