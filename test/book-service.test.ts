import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {MAX_TEXT_LENGTH} from '../src/domain/book.js';
import {StoreUnavailableError} from '../src/domain/errors.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {SEED_BOOKS} from '../src/domain/seed-books.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {RUNNABLE_STORES, type StoreLocation} from './helpers/stores.js';

function rejectsWith(code: Status, detail: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    assert.equal(Status[error.code], Status[code]);
    assert.match(error.details, typeof detail === 'string' ? new RegExp(`\\b${detail}\\b`) : detail);
    return true;
  };
}

for (const kind of RUNNABLE_STORES)
  describe(`BookService over the wire, ${kind.name} store`, () => {
    let books: TestServer;
    let location: StoreLocation;
    before(async () => {
      location = kind.create();
      books = await startBooksServer({store: await location.open(SEED_BOOKS)});
    });
    after(async () => {
      await books.close();
      await location.dispose();
    });

    test('List starts with the workshop book', async () => {
      assert.deepEqual(await books.client.list({}), {
        books: [{id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'}],
      });
    });

    test('Insert, Get, List and Delete a book', async () => {
      const {client} = books;
      const musketeers = {id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'};
      assert.deepEqual(await client.insert(musketeers), {});
      assert.deepEqual(await client.get({id: 2}), musketeers);
      assert.deepEqual((await client.list({})).books.at(-1), musketeers);
      assert.deepEqual(await client.delete({id: 2}), {});
      await assert.rejects(client.get({id: 2}), rejectsWith(Status.NOT_FOUND, '2'));
    });

    test('Get and Delete of an unknown id are NOT_FOUND naming the id', async () => {
      await assert.rejects(books.client.get({id: 404}), rejectsWith(Status.NOT_FOUND, '404'));
      await assert.rejects(books.client.delete({id: 404}), rejectsWith(Status.NOT_FOUND, '404'));
    });

    test('Insert of an existing id is ALREADY_EXISTS and keeps the first book', async () => {
      await assert.rejects(
        books.client.insert({id: 123, title: 'Other', author: 'Someone'}),
        rejectsWith(Status.ALREADY_EXISTS, '123'),
      );
      assert.equal((await books.client.get({id: 123})).title, 'A Tale of Two Cities');
    });

    test('concurrent inserts of one id: exactly one succeeds', async () => {
      const results = await Promise.allSettled(
        Array.from({length: 20}, (_, i) => books.client.insert({id: 900, title: `Copy ${i}`, author: 'Racer'})),
      );
      assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
      for (const result of results) {
        if (result.status === 'rejected') rejectsWith(Status.ALREADY_EXISTS, '900')(result.reason);
      }
      assert.equal((await books.client.list({})).books.filter((book) => book.id === 900).length, 1);
    });

    test('invalid books are INVALID_ARGUMENT naming the field, and are not stored', async () => {
      const valid = {id: 50, title: 'Emma', author: 'Jane Austen'};
      const cases = [
        {book: {...valid, id: 0}, field: 'id'},
        {book: {...valid, id: -3}, field: 'id'},
        {book: {...valid, title: ''}, field: 'title'},
        {book: {...valid, title: '   '}, field: 'title'},
        {book: {...valid, author: ''}, field: 'author'},
        {book: {...valid, title: 't'.repeat(MAX_TEXT_LENGTH + 1)}, field: 'title'},
        {book: {...valid, author: 'a'.repeat(MAX_TEXT_LENGTH + 1)}, field: 'author'},
      ];
      for (const {book, field} of cases) {
        await assert.rejects(books.client.insert(book), rejectsWith(Status.INVALID_ARGUMENT, new RegExp(`^${field} `)));
      }
      await assert.rejects(books.client.get({id: 0}), rejectsWith(Status.INVALID_ARGUMENT, /^id /));
      await assert.rejects(books.client.delete({id: -1}), rejectsWith(Status.INVALID_ARGUMENT, /^id /));
      await assert.rejects(books.client.get({id: 50}), rejectsWith(Status.NOT_FOUND, '50'));
    });

    test('a title of exactly the limit is accepted', async () => {
      const book = {id: 51, title: 't'.repeat(MAX_TEXT_LENGTH), author: 'Long'};
      await books.client.insert(book);
      assert.deepEqual(await books.client.get({id: 51}), book);
    });

    test('ListBooks pages through the catalogue in order', async () => {
      for (let id = 300; id < 325; id++) await books.client.insert({id, title: `T${id}`, author: 'Pager'});
      const all = (await books.client.list({})).books.map((book) => book.id);
      const paged: number[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await books.client.listBooks({pageSize: 7, pageToken});
        assert.ok(page.books.length <= 7);
        paged.push(...page.books.map((book) => book.id));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken !== '' && pages < 1000);
      assert.deepEqual(paged, all);
      assert.equal(pages, Math.ceil(all.length / 7));
    });

    test('ListBooks rejects a negative page size and a forged token', async () => {
      await assert.rejects(books.client.listBooks({pageSize: -1}), rejectsWith(Status.INVALID_ARGUMENT, /^page_size /));
      await assert.rejects(
        books.client.listBooks({pageToken: 'not-a-token'}),
        rejectsWith(Status.INVALID_ARGUMENT, /^page_token /),
      );
    });

    test("each failed call is logged once with its method and code, a client's mistake at debug", async () => {
      await assert.rejects(books.client.get({id: 4242}));
      const lines = books.logs.filter((line) => String(line['details']).includes('book 4242'));
      assert.deepEqual(
        lines.map((line) => line['level']),
        ['debug'],
      );
      assert.equal(lines.length, 1);
      assert.equal(lines[0]?.['method'], '/books.BookService/Get');
      assert.equal(lines[0]?.['code'], 'NOT_FOUND');
    });
  });

describe('List and its message limit', () => {
  test('a catalogue too large for one message is RESOURCE_EXHAUSTED naming ListBooks; paging still works', async () => {
    const seed = Array.from({length: 17_000}, (_, i) => ({id: i + 1, title: 't'.repeat(250), author: 'Author'}));
    const books = await startBooksServer({store: new MemoryStore(seed)});
    try {
      await assert.rejects(
        books.client.list({}),
        rejectsWith(
          Status.RESOURCE_EXHAUSTED,
          /^the catalogue is larger than List's 4194304-byte limit \(past \d+ books\); page through it with ListBooks$/,
        ),
      );
      const page = await books.client.listBooks({pageSize: 5000});
      assert.equal(page.books.length, 1000);
      assert.notEqual(page.nextPageToken, '');
    } finally {
      await books.close();
    }
  });

  test('a catalogue just under the limit is listed whole, multi-byte text counted exactly', async () => {
    // 3.9 MiB of ASCII, and some 3-byte characters: over the limit only if every character took 3 bytes.
    const seed = Array.from({length: 15_000}, (_, i) => ({
      id: i + 1,
      title: 't'.repeat(260),
      author: i === 0 ? '書'.repeat(200) : 'A',
    }));
    const books = await startBooksServer({store: new MemoryStore(seed)});
    try {
      const listed = await books.client.list({});
      assert.equal(listed.books.length, seed.length);
      assert.equal(listed.books[0]?.author, '書'.repeat(200));
    } finally {
      await books.close();
    }
  });
});

describe('unexpected failures', () => {
  test('a store that cannot be reached is logged at warn, and what the client is told at debug', async () => {
    class AwayStore extends MemoryStore {
      override async delete(): Promise<boolean> {
        throw new StoreUnavailableError(new Error('connection refused'));
      }
    }
    const books = await startBooksServer({store: new AwayStore()});
    try {
      // Delete, which the client never retries: one call, one line.
      await assert.rejects(books.client.delete({id: 1}), rejectsWith(Status.UNAVAILABLE, 'connection refused'));
      await assert.rejects(books.client.insert({id: 0, title: 'T', author: 'A'}));
      await assert.rejects(books.client.get({id: 77}));
      assert.deepEqual(
        books.logs.filter((line) => line['msg'] === 'call').map((line) => [line['code'], line['level']]),
        [
          ['UNAVAILABLE', 'warn'],
          ['INVALID_ARGUMENT', 'debug'],
          ['NOT_FOUND', 'debug'],
        ],
      );
    } finally {
      await books.close();
    }
  });

  test('an error the service does not expect is INTERNAL to the client, with its stack in the log only', async () => {
    class BrokenStore extends MemoryStore {
      override async get(): Promise<undefined> {
        throw new Error('disk on fire');
      }
    }
    const books = await startBooksServer({store: new BrokenStore()});
    try {
      await assert.rejects(books.client.get({id: 1}), (error: unknown) => {
        assert.ok(error instanceof ClientError);
        assert.equal(Status[error.code], 'INTERNAL');
        assert.equal(error.details, 'internal error');
        return true;
      });
      const logged = books.logs.find((line) => line['msg'] === 'unexpected error');
      assert.match(String(logged?.['error']), /disk on fire[\s\S]*at /);
      // The server goes on answering.
      assert.equal((await books.client.list({})).books.length, 0);
    } finally {
      await books.close();
    }
  });
});
