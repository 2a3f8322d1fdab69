import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {createServer} from 'nice-grpc';
import {PAGE_SIZE} from '../src/client/book-pages.js';
import {BookServiceDefinition, type Book} from '../src/gen/books/books.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {runCliInProcess} from './helpers/cli-in-process.js';

const book = (id: number): Book => ({id, title: `Title, ${id}`, author: `Author "${id}"`});

describe('books CLI with large catalogues, export and import', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'books-cli-'));
  });
  after(() => rmSync(dir, {recursive: true, force: true}));

  test('list pages through a catalogue larger than a page, printing the same JSON', async () => {
    // One book more than a page: the listing spans a page boundary.
    const books = Array.from({length: PAGE_SIZE + 1}, (_, i) => book(i + 1));
    const server = await startBooksServer({store: new MemoryStore(books)});
    try {
      const human = await runCliInProcess(['list', '--address', server.address]);
      assert.equal(human.code, 0, human.stderr);
      const [json, count] = human.stdout.split(/\n(?=Server sent)/) as [string, string];
      assert.deepEqual(JSON.parse(json), {books});
      assert.equal(count, `Server sent ${PAGE_SIZE + 1} book(s).\n`);
      // The same shape as a one-page listing: an indented JSON document.
      assert.equal(json, JSON.stringify({books}, null, 2));

      const machine = await runCliInProcess(['list', '--json', '--address', server.address]);
      assert.equal(machine.stdout, `${JSON.stringify({books})}\n`);
    } finally {
      await server.close();
    }
  });

  test("list falls back to List on a server without ListBooks (the workshop's own)", async () => {
    const {listBooks: _, watchChanges: __, ...workshopMethods} = BookServiceDefinition.methods;
    const workshop = createServer();
    const books = [book(1), book(2)] as const;
    workshop.add(
      {...BookServiceDefinition, methods: workshopMethods},
      {
        list: async () => ({books: [...books]}),
        insert: async () => ({}),
        get: async () => books[0],
        delete: async () => ({}),
        async *watch() {},
      },
    );
    const port = await workshop.listen('127.0.0.1:0');
    try {
      const result = await runCliInProcess(['list', '--address', `127.0.0.1:${port}`]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `Server sent 2 book(s).\n${JSON.stringify({books}, null, 2)}\n`);
      const exported = await runCliInProcess(['export', '--address', `127.0.0.1:${port}`]);
      assert.equal(exported.stdout, books.map((b) => `${JSON.stringify(b)}\n`).join(''));
    } finally {
      await workshop.shutdown();
    }
  });

  describe('export and import', () => {
    let source: TestServer;
    let target: TestServer;
    before(async () => {
      source = await startBooksServer({
        store: new MemoryStore(Array.from({length: PAGE_SIZE + 1}, (_, i) => book(i + 1))),
      });
      target = await startBooksServer({store: new MemoryStore([book(7)])});
    });
    after(async () => {
      await source.close();
      await target.close();
    });

    test('export writes JSON Lines that import reads back', async () => {
      const exported = await runCliInProcess(['export', '--address', source.address]);
      assert.equal(exported.code, 0, exported.stderr);
      const lines = exported.stdout.trimEnd().split('\n');
      assert.equal(lines.length, PAGE_SIZE + 1);
      assert.deepEqual(JSON.parse(lines[0] ?? ''), book(1));
      // Import reads back what export wrote; the first hundred lines are enough
      // (the round trip below compares a whole file), and keep the test light.
      const file = join(dir, 'books.jsonl');
      writeFileSync(
        file,
        lines
          .slice(0, 100)
          .map((line) => `${line}\n`)
          .join(''),
      );

      const imported = await runCliInProcess(['import', file, '--address', target.address]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(
        imported.stdout,
        /^Imported .*books\.jsonl: 99 inserted, 1 already existed, 0 invalid, in \d+(\.\d)? (ms|s|min \d+ s) \([\d.]+ books\/s\)\n$/,
      );
      const listed = await target.client.list({});
      assert.deepEqual(
        listed.books.map((b) => b.id).sort((x, y) => x - y),
        Array.from({length: 100}, (_, i) => i + 1),
      );
    });

    test('import reads CSV with quoted fields, and reports invalid lines by number', async () => {
      const file = join(dir, 'books.csv');
      writeFileSync(
        file,
        [
          'id,title,author',
          '5001,"Crime and Punishment","Fyodor Dostoevsky"',
          '5002,"War, and Peace","Leo ""Lev"" Tolstoy"',
          'abc,No id,Nobody',
          '5003,"",Blank Title',
          '5004,"A title over',
          'two lines",Someone',
          '5005,Too,many,fields',
          '7,Already,There',
          '',
        ].join('\r\n'),
      );
      const result = await runCliInProcess(['import', file, '--address', target.address]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /: 3 inserted, 1 already existed, 3 invalid, in /);
      assert.match(result.stdout, /\n {2}line 4: id must be a 32-bit integer, got "abc"\n/);
      assert.match(result.stdout, /\n {2}line 5: title must not be empty or blank\n/);
      assert.match(result.stdout, /\n {2}line 8: expected 3 fields, found 4\n/);
      assert.match(result.stderr, /3 invalid line\(s\) not imported/);
      assert.deepEqual(await target.client.get({id: 5002}), {
        id: 5002,
        title: 'War, and Peace',
        author: 'Leo "Lev" Tolstoy',
      });
      assert.deepEqual(await target.client.get({id: 5004}), {
        id: 5004,
        title: 'A title over\r\ntwo lines',
        author: 'Someone',
      });
    });

    test('import --json prints a machine-readable summary', async () => {
      const file = join(dir, 'more.jsonl');
      writeFileSync(file, `${JSON.stringify(book(6001))}\nnot json\n\n${JSON.stringify({id: 6002, title: 'T'})}\n`);
      const result = await runCliInProcess(['import', file, '--json', '--address', target.address]);
      const summary = JSON.parse(result.stdout) as Record<string, unknown>;
      assert.equal(summary['inserted'], 1);
      assert.deepEqual(summary['invalidLines'], [
        {line: 2, reason: 'not valid JSON'},
        {line: 4, reason: 'author must be a string'},
      ]);
    });
  });

  test('export output equals the file it was imported from (round trip)', async () => {
    const file = join(dir, 'round.jsonl');
    const books = Array.from({length: 30}, (_, i) => book(9000 + i));
    writeFileSync(file, books.map((b) => `${JSON.stringify(b)}\n`).join(''));
    const server = await startBooksServer({store: new MemoryStore()});
    try {
      assert.equal((await runCliInProcess(['import', file, '--address', server.address])).code, 0);
      const exported = await runCliInProcess(['export', '--address', server.address]);
      assert.equal(exported.stdout, readFileSync(file, 'utf8'));
    } finally {
      await server.close();
    }
  });
});
