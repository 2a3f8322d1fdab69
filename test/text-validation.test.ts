import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {BadRequestError} from '../src/client/bad-request.js';
import type {Book} from '../src/domain/book.js';
import {Catalogue} from '../src/domain/catalogue.js';
import {InvalidArgumentError} from '../src/domain/errors.js';
import {defaultConfig} from '../src/server/config.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {runCliInProcess} from './helpers/cli-in-process.js';
import {hasCode} from './helpers/status.js';
import {RUNNABLE_STORES, type StoreUnderTest} from './helpers/stores.js';

// A book is valid or not in every store alike: text that one store cannot
// keep as sent (PostgreSQL refuses U+0000) is refused before any store sees
// it, and refusing it fails only the request that sent it.

const BURST = 40;
const BAD_INDEX = 17;

/** A server on a new, empty store of this kind; `use` runs against it, then both are closed. */
async function withServer(kind: StoreUnderTest, use: (books: TestServer) => Promise<void>): Promise<void> {
  const location = kind.create();
  try {
    const books = await startBooksServer({store: await location.open([])});
    try {
      await use(books);
    } finally {
      await books.close();
    }
  } finally {
    await location.dispose();
  }
}

/** The call failed with INVALID_ARGUMENT, and its google.rpc.BadRequest names exactly this field. */
function refusesField(field: string, description: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof BadRequestError, `expected a BadRequestError, got ${String(error)}`);
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.deepEqual(error.fieldViolations, [{field, description}]);
    return true;
  };
}

describe('text no store can hold as sent', () => {
  for (const kind of RUNNABLE_STORES) {
    describe(kind.name, () => {
      for (const field of ['title', 'author'] as const) {
        test(`a NUL in the ${field} fails that insert alone, inside a burst of ${BURST} concurrent inserts`, async () => {
          await withServer(kind, async (books) => {
            const burst: Book[] = Array.from({length: BURST}, (_, i) => ({
              id: i + 1,
              title: `Title ${i + 1}`,
              author: `Author ${i + 1}`,
            }));
            const bad = burst[BAD_INDEX];
            assert.ok(bad !== undefined);
            burst[BAD_INDEX] = {...bad, [field]: `Before\u0000after`};
            // Sent in the same turn of the event loop, so that a store that
            // groups concurrent inserts into one statement gets them together.
            const outcomes = await Promise.allSettled(burst.map((book) => books.client.insert(book)));

            const refused = outcomes[BAD_INDEX];
            assert.equal(refused?.status, 'rejected');
            refusesField(field, 'must not contain control character U+0000')(refused.reason);
            const failures = outcomes
              .map((outcome, i) => ({outcome, id: i + 1}))
              .filter(({outcome, id}) => outcome.status === 'rejected' && id !== BAD_INDEX + 1)
              .map(({outcome, id}) => `${id}: ${outcome.status === 'rejected' ? String(outcome.reason) : ''}`);
            assert.deepEqual(failures, [], 'every valid insert of the burst succeeds');

            const valid = burst.filter((_, i) => i !== BAD_INDEX);
            assert.deepEqual(await Promise.all(valid.map(({id}) => books.client.get({id}))), valid);
            await assert.rejects(books.client.get({id: BAD_INDEX + 1}), hasCode(Status.NOT_FOUND));
          });
        });
      }

      test('other C0 controls are refused; tab, line breaks, DEL, C1 and noncharacters are stored unchanged', async () => {
        await withServer(kind, async (books) => {
          for (const [code, title] of [
            ['U+0001', 'a\u0001b'],
            ['U+001B', '\u001b[2J cleared'],
            ['U+001F', 'unit\u001fseparator'],
          ] as const) {
            await assert.rejects(
              books.client.insert({id: 1, title, author: 'Someone'}),
              refusesField('title', `must not contain control character ${code}`),
            );
          }
          const kept: Book = {
            id: 2,
            title: 'Tab\there, a line\r\nbreak, DEL\u007f, C1\u0085\u009b, U+FFFF\uffff, U+10FFFF\u{10ffff}',
            author: 'BOM\ufeff and U+FFFE\ufffe',
          };
          await books.client.insert(kept);
          assert.deepEqual(await books.client.get({id: 2}), kept);
          await assert.rejects(books.client.get({id: 1}), hasCode(Status.NOT_FOUND));
        });
      });
    });
  }

  test('a lone surrogate, which cannot arrive over the wire, is refused in the domain', async () => {
    const catalogue = await Catalogue.open(new MemoryStore([]), {...defaultConfig(), watchQueueSize: 16});
    try {
      for (const [field, value, code] of [
        ['title', 'Half a pair \ud83d', 'U+D83D'],
        ['author', '\udcda the other half', 'U+DCDA'],
      ] as const) {
        await assert.rejects(catalogue.insert({id: 1, title: 'Title', author: 'Author', [field]: value}), (error) => {
          assert.ok(error instanceof InvalidArgumentError);
          assert.deepEqual(error.violations, [{field, reason: `must be well-formed Unicode: lone surrogate ${code}`}]);
          return true;
        });
      }
      // A whole pair is one character, and welcome.
      await catalogue.insert({id: 2, title: 'Books \ud83d\udcda', author: 'Someone'});
      assert.equal((await catalogue.get(2)).title, 'Books 📚');
    } finally {
      catalogue.close();
    }
  });

  describe('the CLI', () => {
    test('insert names the field and the character, without printing the character', async () => {
      const books = await startBooksServer();
      try {
        const result = await runCliInProcess([
          'insert',
          '9',
          'Dune',
          '\u001b]0;pwned\u0007',
          '--address',
          books.address,
        ]);
        assert.deepEqual(result, {
          code: 1,
          stdout: '',
          stderr: 'books: insert 9 failed: INVALID_ARGUMENT: author: must not contain control character U+001B\n',
        });
        const nul = await runCliInProcess(['insert', '9', 'Du\u0000ne', 'Frank Herbert', '--address', books.address]);
        assert.equal(
          nul.stderr,
          'books: insert 9 failed: INVALID_ARGUMENT: title: must not contain control character U+0000\n',
        );
        await assert.rejects(books.client.get({id: 9}), (error) => error instanceof ClientError);
      } finally {
        await books.close();
      }
    });

    test('import lists each such line with its field, and imports the others', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'books-text-'));
      const books = await startBooksServer({store: new MemoryStore([])});
      try {
        const file = join(dir, 'books.jsonl');
        writeFileSync(
          file,
          [
            {id: 1, title: 'Dune', author: 'Frank Herbert'},
            {id: 2, title: 'Nul\u0000Title', author: 'Someone'},
            {id: 3, title: 'Emma', author: 'Jane\u0000Austen'},
            {id: 4, title: 'Persuasion', author: 'Jane Austen'},
          ]
            .map((book) => `${JSON.stringify(book)}\n`)
            .join(''),
        );
        const result = await runCliInProcess(['import', file, '--address', books.address]);
        assert.equal(result.code, 1);
        assert.match(result.stdout, /: 2 inserted, 0 already existed, 2 invalid, in /);
        assert.match(
          result.stdout,
          /\n {2}line 2: title must not contain control character U\+0000\n {2}line 3: author must not contain control character U\+0000\n$/,
        );
        assert.deepEqual(
          (await books.client.listBooks({pageSize: 10, pageToken: ''})).books.map(({id}) => id),
          [1, 4],
        );
      } finally {
        await books.close();
        rmSync(dir, {recursive: true, force: true});
      }
    });
  });
});
