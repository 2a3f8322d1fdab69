import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createInterface} from 'node:readline';
import {once} from 'node:events';
import {fileURLToPath} from 'node:url';
import {after, before, describe, test} from 'node:test';
import type {Book} from '../src/domain/book.js';
import {MemoryStore} from '../src/store/memory-store.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {eventually} from './helpers/eventually.js';
import {BOOKS_BIN, exitOf, runCliProcess, spawnCli} from './helpers/processes.js';

// What only a process shows: signals, exit status, a closed pipe, the bin.
// Everything else about the CLI is tested in-process (cli.test.ts).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});

// Two suites, each well within the test timeout on a busy machine, where
// starting a Node process takes seconds.
describe('books CLI as a process: the bin, exit status, a closed pipe', () => {
  let books: TestServer;
  before(async () => {
    // More than a pipe's buffer of JSON Lines, so that export is still writing when the reader leaves.
    books = await startBooksServer({store: new MemoryStore(Array.from({length: 5000}, (_, i) => book(i + 1)))});
  });
  after(() => books.close());

  test('the bin in package.json runs the CLI: exit status 1 for a failed call, 2 for a usage error', async () => {
    const {bin} = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {bin: Record<string, string>};
    assert.equal(`${ROOT}${bin['books']}`, BOOKS_BIN);
    assert.match(readFileSync(BOOKS_BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    // Exit status 0 is shown by the other tests here.
    const env = {BOOKS_ADDRESS: books.address};
    assert.deepEqual(await runCliProcess(['get', '404404'], env), {
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'books: get 404404 failed: NOT_FOUND: book 404404 not found\n',
    });
    const usage = await runCliProcess(['get', 'abc'], env);
    assert.deepEqual([usage.code, usage.stdout], [2, '']);
    assert.equal(
      usage.stderr,
      'books: <id> must be an integer that fits in 32 bits, got "abc"\nRun \'books get --help\' for usage.\n',
    );
  });

  test('export into a reader that stops early (| head -n 1) exits 0 without a message', async (t) => {
    // A pipeline as a shell runs it; pipefail makes its status the CLI's.
    const child = spawn(
      'bash',
      [
        '-c',
        'set -o pipefail; "$0" "$1" export --address "$2" | head -n 1',
        process.execPath,
        BOOKS_BIN,
        books.address,
      ],
      {stdio: ['ignore', 'pipe', 'pipe'], detached: true},
    );
    t.after(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the whole group has exited
      }
    });
    const closed = once(child, 'close');
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines: string[] = [];
    createInterface({input: child.stdout}).on('line', (line) => lines.push(line));
    assert.deepEqual(await closed, [0, null]);
    assert.equal(stderr, '');
    assert.deepEqual(lines, [JSON.stringify(book(1))]);
  });
});

describe('books CLI as a process: signals', () => {
  let books: TestServer;
  before(async () => {
    books = await startBooksServer();
  });
  after(() => books.close());

  for (const [signal, flags] of [
    ['SIGINT', []],
    ['SIGTERM', ['--json']],
  ] as const) {
    test(`watch prints each book as it arrives, and ${signal} ends it with exit status 0`, async (t) => {
      await eventually('no other watch is open', () => books.hub.watcherCount === 0);
      const child = spawnCli(['watch', ...flags], {BOOKS_ADDRESS: books.address});
      t.after(() => child.kill('SIGKILL'));
      const exited = exitOf(child);
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await eventually('the watch is registered', () => books.hub.watcherCount > 0);
      // Each book is on stdout before the next is inserted: nothing waits for the exit.
      for (const id of signal === 'SIGINT' ? [10_080, 10_081] : [10_090, 10_091]) {
        await books.client.insert(book(id));
        while (!stdout.includes(`"id"${flags.length === 0 ? ': ' : ':'}${id},`)) await once(child.stdout!, 'data');
      }
      child.kill(signal);
      assert.deepEqual(await exited, {code: 0, signal: null});
    });
  }
});
