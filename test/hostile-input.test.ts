import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {Status} from 'nice-grpc';
import {SEED_BOOKS} from '../src/domain/seed-books.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {bookBytes, bookIdBytes, bytesField, fieldKey, varint, varintField, WireType} from './helpers/protobuf-bytes.js';
import {grpcFrame, grpcHeaders, rawCall, type RawAnswer} from './helpers/raw-grpc.js';
import {hasCode} from './helpers/status.js';

// What a broken or malicious client sends, straight at the HTTP/2 port, and
// exactly what the server answers. Most answers come from grpc-js before the
// service sees the call; they are pinned here so that an upgrade that changes
// one is noticed. One server takes every case in turn, so damage would add up.

const MAX_REQUEST_BYTES = 16 * 1024;
const SERVICE = '/books.BookService';

interface Expected {
  readonly status: keyof typeof Status;
  readonly message: string | RegExp;
}

/** A gRPC answer (HTTP 200) with this status and message. */
function assertStatus(answer: RawAnswer, expected: Expected): void {
  assert.equal(answer.httpStatus, 200);
  assert.equal(answer.contentType, 'application/grpc+proto');
  assert.equal(answer.grpcStatus === undefined ? 'no grpc-status' : Status[answer.grpcStatus], expected.status);
  if (typeof expected.message === 'string') assert.equal(answer.grpcMessage, expected.message);
  else assert.match(answer.grpcMessage ?? '', expected.message);
}

/** A unary or server-streaming call with these body chunks, headers as a conforming client sends them. */
function call(address: string, method: string, ...body: Uint8Array[]): Promise<RawAnswer> {
  return rawCall(address, {headers: grpcHeaders(`${SERVICE}/${method}`), body});
}

describe('hostile input on the HTTP/2 port', () => {
  let books: TestServer;
  before(async () => {
    books = await startBooksServer({maxRequestBytes: MAX_REQUEST_BYTES});
  });
  after(() => books.close());

  /**
   * After every case: the server answers a well-formed call, no watcher is
   * left behind, the catalogue holds only what the case meant to add, and
   * nothing was logged as a fault of the server's own.
   */
  async function assertUnharmed(expectedIds: readonly number[] = SEED_BOOKS.map((book) => book.id)): Promise<void> {
    const {books: listed} = await books.client.list({});
    assert.deepEqual(
      listed.map((book) => book.id),
      expectedIds,
    );
    await eventually('no watcher is left', () => books.hub.watcherCount === 0);
    assert.deepEqual(
      books.logs.filter((line) => line['level'] === 'error'),
      [],
    );
  }

  describe('bytes that are not protobuf', () => {
    const garbage = {
      'over-long varints': Buffer.alloc(11, 0xff),
      'a JSON body': Buffer.from('{"id": 60, "title": "JSON", "author": "Sent as gRPC"}'),
      // 'D' reads as an end-group tag: lenient decoding would stop there and
      // take the rest for an empty message.
      'plain text': Buffer.from('DROP TABLE books; -- not a protobuf message'),
      'a field key with no value': Buffer.from([0x08]),
    };
    for (const [name, payload] of Object.entries(garbage)) {
      for (const method of ['Insert', 'Get', 'Watch']) {
        test(`${name} as the request of ${method}: INTERNAL`, async () => {
          assertStatus(await call(books.address, method, grpcFrame(payload)), {
            status: 'INTERNAL',
            message: 'Error deserializing request',
          });
          await assertUnharmed();
        });
      }
    }
  });

  describe('truncated frames', () => {
    // gRPC's status code table: a unary request with no message is a
    // "request cardinality violation", UNIMPLEMENTED. grpc-js words it as if
    // every method were server-streaming.
    const noMessage = {
      status: 'UNIMPLEMENTED',
      message: /^Received no request message for .*\/books\.BookService\/Insert$/,
    } as const;

    test('the prefix says 100 bytes, 17 come, the stream ends: UNIMPLEMENTED', async () => {
      const book = bookBytes(41, 'Truncated', 'Nobody');
      assert.ok(book.length < 100);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book, 100)), noMessage);
      await assertUnharmed();
    });

    test('the stream ends inside the 5-byte prefix: UNIMPLEMENTED', async () => {
      assertStatus(await call(books.address, 'Insert', Buffer.from([0, 0, 0])), noMessage);
      await assertUnharmed();
    });

    test('the stream ends with no message at all: UNIMPLEMENTED', async () => {
      assertStatus(await call(books.address, 'Insert'), noMessage);
      await assertUnharmed();
    });

    test('two messages to a unary method: UNIMPLEMENTED', async () => {
      const id = grpcFrame(bookIdBytes(SEED_BOOKS[0].id));
      assertStatus(await call(books.address, 'Get', id, id), {
        status: 'UNIMPLEMENTED',
        message: /^Received a second request message for .*\/books\.BookService\/Get$/,
      });
      await assertUnharmed();
    });
  });

  describe('oversized frames', () => {
    const tooLarge = (declared: number): Expected => ({
      status: 'RESOURCE_EXHAUSTED',
      message: `Received message larger than max (${declared} vs ${MAX_REQUEST_BYTES})`,
    });

    test('a prefix one byte over the limit, without the bytes: RESOURCE_EXHAUSTED', async () => {
      const declared = MAX_REQUEST_BYTES + 1;
      assertStatus(await call(books.address, 'Insert', grpcFrame(new Uint8Array(0), declared)), tooLarge(declared));
      await assertUnharmed();
    });

    test('a prefix of 4 GiB - 1, without the bytes: RESOURCE_EXHAUSTED, nothing allocated for it', async () => {
      const declared = 0xffff_ffff;
      assertStatus(await call(books.address, 'Insert', grpcFrame(new Uint8Array(0), declared)), tooLarge(declared));
      await assertUnharmed();
    });

    test('1 MiB sent in full: RESOURCE_EXHAUSTED', async () => {
      const payload = Buffer.alloc(1024 * 1024, 'A');
      assertStatus(await call(books.address, 'Insert', grpcFrame(payload)), tooLarge(payload.length));
      await assertUnharmed();
    });

    test('exactly at the limit passes the frame check and meets the domain rules: INVALID_ARGUMENT', async () => {
      const head = bookBytes(42, '', 'At the limit');
      // Pad the title so that the whole message is exactly the limit.
      let titleLength = MAX_REQUEST_BYTES - head.length;
      let book = bookBytes(42, 'x'.repeat(titleLength), 'At the limit');
      titleLength -= book.length - MAX_REQUEST_BYTES;
      book = bookBytes(42, 'x'.repeat(titleLength), 'At the limit');
      assert.equal(book.length, MAX_REQUEST_BYTES);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INVALID_ARGUMENT',
        message: 'title must be at most 256 characters',
      });
      await assertUnharmed();
    });
  });

  describe('headers', () => {
    const get = grpcFrame(bookIdBytes(SEED_BOOKS[0].id));
    const contentTypes: Record<string, string | undefined> = {
      'application/json': 'application/json',
      'text/plain': 'text/plain',
      'no content-type': undefined,
    };
    for (const [name, contentType] of Object.entries(contentTypes)) {
      test(`${name}: HTTP 415 and no gRPC status`, async () => {
        const headers = grpcHeaders(`${SERVICE}/Get`);
        if (contentType === undefined) delete headers['content-type'];
        else headers['content-type'] = contentType;
        const answer = await rawCall(books.address, {headers, body: [get]});
        assert.equal(answer.httpStatus, 415);
        assert.equal(answer.grpcStatus, undefined);
        assert.equal(answer.body.length, 0);
        await assertUnharmed();
      });
    }

    test('no te: trailers: answered as usual (grpc-js does not require it)', async () => {
      const headers = grpcHeaders(`${SERVICE}/Get`);
      delete headers['te'];
      const answer = await rawCall(books.address, {headers, body: [get]});
      assertStatus(answer, {status: 'OK', message: 'OK'});
      // One length-prefixed Book: the seed book.
      assert.deepEqual(answer.body.subarray(5), bookBytes(SEED_BOOKS[0].id, SEED_BOOKS[0].title, SEED_BOOKS[0].author));
      await assertUnharmed();
    });
  });

  describe('malformed protobuf', () => {
    const seedIds = SEED_BOOKS.map((book) => book.id);

    test('a field number the contract does not have is skipped, as protobuf requires: OK', async () => {
      const book = Buffer.concat([
        bookBytes(50, 'Unknown fields', 'Skipped'),
        varintField(99, 7),
        bytesField(1000, 'extra'),
      ]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {status: 'OK', message: 'OK'});
      assert.deepEqual(await books.client.get({id: 50}), {id: 50, title: 'Unknown fields', author: 'Skipped'});
      await assertUnharmed([...seedIds, 50]);
      await books.client.delete({id: 50});
    });

    test('id sent as a string (wrong wire type) is an unknown field, so id is 0: INVALID_ARGUMENT', async () => {
      const book = Buffer.concat([bytesField(1, '51'), bytesField(2, 'Wrong wire type'), bytesField(3, 'Someone')]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INVALID_ARGUMENT',
        message: 'id must be a positive 32-bit integer, got 0',
      });
      await assertUnharmed();
    });

    test('title sent as a varint (wrong wire type) leaves the title empty: INVALID_ARGUMENT', async () => {
      const book = Buffer.concat([varintField(1, 52), varintField(2, 1), bytesField(3, 'Someone')]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INVALID_ARGUMENT',
        message: 'title must not be empty or blank',
      });
      await assertUnharmed();
    });

    test('field number 0, which does not exist, before the author: INTERNAL, not a book without an author', async () => {
      const book = Buffer.concat([
        varintField(1, 56),
        bytesField(2, 'Cut short'),
        Buffer.from([0x00]),
        bytesField(3, 'Hidden'),
      ]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('an end-group tag outside any group, then the rest of a book: INTERNAL', async () => {
      const book = Buffer.concat([
        varintField(1, 57),
        fieldKey(2, WireType.endGroup),
        bytesField(2, 'After'),
        bytesField(3, 'Hidden'),
      ]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('wire type 7, which does not exist: INTERNAL', async () => {
      const book = Buffer.concat([bookBytes(53, 'Bad wire type', 'Someone'), fieldKey(5, 7), Buffer.from([1, 2, 3])]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('a string whose length runs past the message (2 GiB claimed): INTERNAL', async () => {
      const book = Buffer.concat([
        varintField(1, 54),
        fieldKey(2, WireType.lengthDelimited),
        varint(2 ** 31),
        Buffer.from('short'),
      ]);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('groups nested 10,000 deep (a stack overflow attempt): INTERNAL', async () => {
      const nested = Buffer.alloc(10_000, fieldKey(1, WireType.startGroup));
      assertStatus(await call(books.address, 'Insert', grpcFrame(nested)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('the title repeated 3,000 times: the last one counts, as protobuf requires: OK', async () => {
      const titles = Array.from({length: 3000}, (_, i) => bytesField(2, `T${i % 10}`));
      const book = Buffer.concat([varintField(1, 55), ...titles, bytesField(3, 'Repeated')]);
      assert.ok(book.length <= MAX_REQUEST_BYTES);
      assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {status: 'OK', message: 'OK'});
      assert.deepEqual(await books.client.get({id: 55}), {id: 55, title: 'T9', author: 'Repeated'});
      await assertUnharmed([...seedIds, 55]);
      await books.client.delete({id: 55});
    });

    test('an unknown repeated field with 8,000 entries in the request of Get: skipped, OK', async () => {
      const request = Buffer.concat([
        ...Array.from({length: 8000}, () => varintField(7, 1)),
        bookIdBytes(SEED_BOOKS[0].id),
      ]);
      assert.ok(request.length <= MAX_REQUEST_BYTES);
      const answer = await call(books.address, 'Get', grpcFrame(request));
      assertStatus(answer, {status: 'OK', message: 'OK'});
      await assertUnharmed();
    });

    test('an unknown repeated field over the size limit: RESOURCE_EXHAUSTED', async () => {
      const request = Buffer.concat(Array.from({length: 10_000}, () => varintField(7, 1)));
      assert.ok(request.length > MAX_REQUEST_BYTES);
      assertStatus(await call(books.address, 'List', grpcFrame(request)), {
        status: 'RESOURCE_EXHAUSTED',
        message: `Received message larger than max (${request.length} vs ${MAX_REQUEST_BYTES})`,
      });
      await assertUnharmed();
    });
  });

  describe('invalid UTF-8 in string fields', () => {
    // Protobuf requires a string field to hold valid UTF-8. Decoded leniently,
    // each bad sequence would become U+FFFD and the book would be stored with
    // a title its client never sent; refused, the catalogue stays as it was.
    const invalid = {
      'bytes 0xFF 0xFE': Buffer.from([0x41, 0xff, 0xfe]),
      'a lone continuation byte': Buffer.from([0x41, 0x80, 0x42]),
      'an overlong "/"': Buffer.from([0xc0, 0xaf]),
      'a UTF-16 surrogate half': Buffer.from([0xed, 0xa0, 0x80]),
      'a sequence cut short': Buffer.from([0x41, 0xe2, 0x82]),
    };
    let id = 70;
    for (const [name, bytes] of Object.entries(invalid)) {
      const bookId = id++;
      for (const field of ['title', 'author'] as const) {
        test(`${name} in the ${field}: INTERNAL, nothing stored`, async () => {
          const book = field === 'title' ? bookBytes(bookId, bytes, 'Author') : bookBytes(bookId, 'Title', bytes);
          assertStatus(await call(books.address, 'Insert', grpcFrame(book)), {
            status: 'INTERNAL',
            message: 'Error deserializing request',
          });
          await assert.rejects(books.client.get({id: bookId}), hasCode(Status.NOT_FOUND));
          await assertUnharmed();
        });
      }
    }

    test('in the page token of ListBooks: INTERNAL', async () => {
      const request = Buffer.concat([varintField(1, 10), bytesField(2, Buffer.from([0xff]))]);
      assertStatus(await call(books.address, 'ListBooks', grpcFrame(request)), {
        status: 'INTERNAL',
        message: 'Error deserializing request',
      });
      await assertUnharmed();
    });

    test('valid multi-byte UTF-8 is stored exactly: OK', async () => {
      const book = {id: 79, title: 'Les Misérables 📚', author: '曹雪芹'};
      assertStatus(await call(books.address, 'Insert', grpcFrame(bookBytes(book.id, book.title, book.author))), {
        status: 'OK',
        message: 'OK',
      });
      assert.deepEqual(await books.client.get({id: book.id}), book);
      await assertUnharmed([...SEED_BOOKS.map((seed) => seed.id), book.id]);
      await books.client.delete({id: book.id});
    });
  });

  describe('unknown methods and services', () => {
    const cases = {
      'an unknown method': `${SERVICE}/Burn`,
      'an unknown service': '/books.Library/List',
      'a method of another package': '/grpc.channelz.v1.Channelz/GetTopChannels',
    };
    for (const [name, path] of Object.entries(cases)) {
      test(`${name}: UNIMPLEMENTED`, async () => {
        const answer = await rawCall(books.address, {headers: grpcHeaders(path), body: [grpcFrame(new Uint8Array(0))]});
        assertStatus(answer, {status: 'UNIMPLEMENTED', message: `The server does not implement the method ${path}`});
        await assertUnharmed();
      });
    }
  });

  test('the typed client still works after all this', async () => {
    await assert.rejects(books.client.get({id: 41}), hasCode(Status.NOT_FOUND));
    await assertUnharmed();
  });
});
