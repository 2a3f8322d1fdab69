import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {formatDuration, formatRate} from '../src/cli/print.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {startServerProcess} from './helpers/processes.js';
import {runCliInProcess, type CliOutcome} from './helpers/cli-in-process.js';

/** `books import <file>` in this process, against `server`. */
function runImport(server: Pick<TestServer, 'address'>, file: string, ...flags: string[]): Promise<CliOutcome> {
  return runCliInProcess(['import', file, '--address', server.address, ...flags]);
}

describe('books import', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'books-import-'));
    server = await startBooksServer({store: new MemoryStore([{id: 7, title: 'Already', author: 'There'}])});
  });
  after(async () => {
    await server.close();
    rmSync(dir, {recursive: true, force: true});
  });
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('CSV: quoted fields, a byte order mark, blank lines, and line numbers that count a CRLF inside quotes once', async () => {
    const csv = file(
      'quoted.csv',
      [
        '\uFEFFid,title,author',
        '101,"War, and Peace","Leo ""Lev"" Tolstoy"',
        '102,"A title over',
        'two lines",Someone',
        '',
        'abc,No id,Nobody',
        '103,Too,many,fields',
        '104,The "Best" Book,Anon',
        '7,Already,There',
        '',
      ].join('\r\n'),
    );
    const result = await runImport(server, csv);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /: 3 inserted, 1 already existed, 2 invalid, in /);
    assert.match(
      result.stdout,
      /\n {2}line 6: id must be a 32-bit integer, got "abc"\n {2}line 7: expected 3 fields, found 4\n$/,
    );
    assert.deepEqual(await server.client.get({id: 101}), {
      id: 101,
      title: 'War, and Peace',
      author: 'Leo "Lev" Tolstoy',
    });
    assert.deepEqual(await server.client.get({id: 102}), {
      id: 102,
      title: 'A title over\r\ntwo lines',
      author: 'Someone',
    });
    assert.deepEqual(await server.client.get({id: 104}), {id: 104, title: 'The "Best" Book', author: 'Anon'});
  });

  test('CSV: an unterminated quote is reported at the line its record starts, after importing what came before', async () => {
    const csv = file(
      'unterminated.csv',
      'id,title,author\n201,Fine,Author\n\n202,"Never closed,Author\n203,Lost,Author\n',
    );
    const result = await runImport(server, csv);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /: 1 inserted, 0 already existed, 1 invalid, in /);
    assert.match(
      result.stdout,
      /\n {2}line 4: unterminated quote: a quoted field that starts in this record never ends, so the rest of the file was not read\n$/,
    );
    assert.equal(result.stderr, `books: import ${csv} failed: 1 invalid line(s) not imported\n`);
    assert.equal((await server.client.get({id: 201})).title, 'Fine');
  });

  test('CSV: a quote left open in a large file stops at 64 KiB instead of reading the file into one field', async () => {
    const csv = file('runaway.csv', `id,title,author\n301,"Runaway,Author\n${'302,Title,Author\n'.repeat(10_000)}`);
    const result = await runImport(server, csv);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /\n {2}line 2: a record longer than 64 KiB starts here \(an unterminated quote\?\), so the rest/,
    );
  });

  test('an id that appears twice in one file is reported with both lines, in CSV and JSON Lines', async () => {
    const csv = file('twice.csv', 'id,title,author\n401,First,A\n402,Other,B\n401,Second,C\n');
    const fromCsv = await runImport(server, csv);
    assert.equal(fromCsv.code, 1);
    assert.match(
      fromCsv.stdout,
      /: 2 inserted, 0 already existed, 1 invalid, in [^\n]*\n {2}line 4: id 401 already appears on line 2\n$/,
    );
    assert.equal((await server.client.get({id: 401})).title, 'First');

    const jsonl = file(
      'twice.jsonl',
      ['{"id":501,"title":"T","author":"A"}', '', '{"id":501,"title":"U","author":"B"}', ''].join('\n'),
    );
    const fromJsonLines = await runImport(server, jsonl);
    assert.match(fromJsonLines.stdout, /\n {2}line 3: id 501 already appears on line 1\n$/);
  });

  test('--json prints the summary with seconds rounded to hundredths', async () => {
    const jsonl = file('json.jsonl', `${JSON.stringify({id: 601, title: 'T', author: 'A'})}\nnot json\n`);
    const result = await runImport(server, jsonl, '--json');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^\{[^\n]*"seconds":\d+(\.\d{1,2})?,[^\n]*\}\n$/);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(summary['inserted'], 1);
    assert.deepEqual(summary['invalidLines'], [{line: 2, reason: 'not valid JSON'}]);
    assert.ok(Number.isInteger(summary['booksPerSecond']));
  });

  test('a missing or unreadable file: exit 1, one line naming the file and why; the server is not called', async () => {
    const missing = join(dir, 'nope.csv');
    assert.deepEqual(await runImport(server, missing), {
      code: 1,
      stdout: '',
      stderr: `books: cannot read ${missing}: no such file\n`,
    });
    assert.deepEqual(await runImport(server, dir), {
      code: 1,
      stdout: '',
      stderr: `books: cannot read ${dir}: it is a directory\n`,
    });
  });

  test('the summary gives its time and rate to a precision a person reads: "in 34 ms", not "in 0.0 s"', async () => {
    const jsonl = file('one.jsonl', `${JSON.stringify({id: 701, title: 'T', author: 'A'})}\n`);
    const result = await runImport(server, jsonl);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /: 1 inserted, 0 already existed, 0 invalid, in \d+ ms \(\d+ books\/s\)\n$/);
  });

  test('durations: milliseconds under a second, tenths under a minute, then minutes; rates to two significant figures', () => {
    for (const [seconds, text] of [
      [0, '0 ms'],
      [0.0344, '34 ms'],
      [0.9994, '999 ms'],
      [0.9996, '1.0 s'],
      [2.345, '2.3 s'],
      [59.94, '59.9 s'],
      [59.96, '1 min 0 s'],
      [83.4, '1 min 23 s'],
      [7322, '122 min 2 s'],
    ] as const) {
      assert.equal(formatDuration(seconds), text, String(seconds));
    }
    for (const [books, seconds, text] of [
      [1, 0.0344, '29 books/s'],
      [0, 0.01, '0 books/s'],
      [3, 7, '0.43 books/s'],
      [12_345, 1, '12000 books/s'],
      [987_654, 3, '330000 books/s'],
    ] as const) {
      assert.equal(formatRate(books, seconds), text, `${books} in ${seconds} s`);
    }
  });
});

describe('books import, run again', () => {
  test('re-importing books that all exist logs no warning at the default log level', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'books-reimport-'));
    const server = await startServerProcess();
    t.after(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, {recursive: true, force: true});
    });
    const file = join(dir, 'books.jsonl');
    const lines = Array.from({length: 20}, (_, i) => JSON.stringify({id: 1000 + i, title: `T${i}`, author: 'A'}));
    writeFileSync(file, `${lines.join('\n')}\n`);
    assert.match((await runImport(server, file)).stdout, /: 20 inserted, 0 already existed, 0 invalid, in /);
    const again = await runImport(server, file);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /: 0 inserted, 20 already existed, 0 invalid, in /);
    server.child.kill('SIGTERM');
    await server.exited;
    const worrying = server.logs.filter((line) => line['level'] !== 'info');
    assert.deepEqual(worrying, [], "an ALREADY_EXISTS is the client's answer, not something for the operator");
  });
});
