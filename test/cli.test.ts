import assert from 'node:assert/strict';
import {once} from 'node:events';
import {createServer, type Server, type Socket} from 'node:net';
import {after, before, describe, test} from 'node:test';
import {startBooksServer, type TestServer} from './helpers/books-server.js';
import {runCliInProcess, startCli, type CliOutcome} from './helpers/cli-in-process.js';
import {eventually} from './helpers/eventually.js';

// The CLI runs in this process through runCli and a fake CliIo; what only a
// process shows (signals, exit status, EPIPE, the bin) is in cli-process.test.ts.

describe('books CLI', () => {
  let books: TestServer;
  let cli: (...args: string[]) => Promise<CliOutcome>;
  before(async () => {
    books = await startBooksServer();
    cli = (...args) => runCliInProcess(args, {BOOKS_ADDRESS: books.address});
  });
  after(() => books.close());

  test('list prints the count, then the books as the workshop client does', async () => {
    const result = await cli('list');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        'Server sent 1 book(s).',
        '{',
        '  "books": [',
        '    {',
        '      "id": 123,',
        '      "title": "A Tale of Two Cities",',
        '      "author": "Charles Dickens"',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('insert, get and delete print "Server response:" and JSON', async () => {
    const insert = await cli('insert', '2', 'The Three Musketeers', 'Alexandre Dumas');
    assert.deepEqual([insert.code, insert.stdout], [0, 'Server response:\n{}\n']);
    const get = await cli('get', '2');
    assert.equal(get.code, 0, get.stderr);
    assert.equal(
      get.stdout,
      'Server response:\n{\n  "id": 2,\n  "title": "The Three Musketeers",\n  "author": "Alexandre Dumas"\n}\n',
    );
    const remove = await cli('delete', '2');
    assert.deepEqual([remove.code, remove.stdout], [0, 'Server response:\n{}\n']);
  });

  test('list --json prints the listing on one line, one {"books":[...]} object, as its help says', async () => {
    const list = await cli('list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, '{"books":[{"id":123,"title":"A Tale of Two Cities","author":"Charles Dickens"}]}\n');
    const help = await cli('list', '--help');
    assert.match(
      help.stdout,
      /--json +print JSON only, one line per response: get the book, insert and delete \{\}, list one \{"books":\[\.\.\.\]\} object,/,
    );
  });

  test('--address wins over BOOKS_ADDRESS', async () => {
    const result = await runCliInProcess(['get', '123', '--json', '--address', books.address], {
      BOOKS_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).title, 'A Tale of Two Cities');
  });

  test('a failed call prints one line with the status code and exits 1', async () => {
    const get = await cli('get', '404');
    assert.deepEqual([get.code, get.stdout], [1, '']);
    assert.equal(get.stderr, 'books: get 404 failed: NOT_FOUND: book 404 not found\n');
    const duplicate = await cli('insert', '123', 'Again', 'Someone');
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /^books: insert 123 failed: ALREADY_EXISTS: book 123 already exists\n$/);
    const blank = await cli('insert', '9', ' ', 'Someone');
    assert.equal(blank.code, 1);
    assert.match(blank.stderr, /INVALID_ARGUMENT: title: must not be empty or blank/);
  });

  test('bad arguments print usage and exit 2 without calling the server', async () => {
    const calls = (): number => books.logs.filter((line) => line['msg'] === 'call').length;
    const before = calls();
    for (const args of [
      ['get', 'abc'],
      ['get', '1.5'],
      ['get', '99999999999'],
      ['delete'],
      ['insert', '5', 'Only a title'],
      ['get', '1', 'extra'],
      ['list', '--no-such-flag'],
      ['fetch'],
      [],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `books ${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^books: .+\nRun 'books (\w+ )?--help' for usage\.\n$/, `books ${args.join(' ')}`);
    }
    assert.equal(calls(), before);
  });

  test('health exits 0 and prints SERVING for a healthy server', async () => {
    assert.deepEqual(await cli('health'), {code: 0, stdout: 'SERVING\n', stderr: ''});
    const service = await cli('health', '--service', 'books.BookService', '--json');
    assert.deepEqual(JSON.parse(service.stdout), {service: 'books.BookService', status: 'SERVING'});
    const unknown = await cli('health', '--service', 'no.Such');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NOT_FOUND/);
  });

  test('--help on each command shows its usage and exits 0', async () => {
    for (const command of ['list', 'insert', 'get', 'delete', 'watch', 'health']) {
      const result = await cli(command, '--help');
      assert.equal(result.code, 0);
      assert.match(result.stdout, new RegExp(`\\$ books ${command}`));
      assert.match(result.stdout, /--address/);
    }
  });

  test('a server never reached fails at once, in one line (the other commands: cli-errors.test.ts)', async () => {
    // A deadline far beyond the test's timeout: only a call that is not retried can fail in time.
    const list = await runCliInProcess(['list', '--address', '127.0.0.1:1', '--timeout', '3600000']);
    assert.deepEqual(
      [list.code, list.stdout, list.stderr],
      [1, '', 'books: cannot reach a books server at 127.0.0.1:1 (connection refused)\n'],
    );
  });

  test('a server that accepts but never answers fails at the deadline', async () => {
    const accepted = new Set<Socket>();
    const silent: Server = createServer((socket) => accepted.add(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const {port} = silent.address() as {port: number};
    try {
      for (const command of ['list', 'watch']) {
        const result = await runCliInProcess([command, '--address', `127.0.0.1:${port}`, '--timeout', '500']);
        assert.equal(result.code, 1, `${command}: ${result.stderr}`);
        assert.match(result.stderr, /DEADLINE_EXCEEDED|no answer from/);
      }
    } finally {
      // The client's connection would otherwise stay open until its connect timeout.
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  test('watch prints each inserted book and ends with exit status 0 when interrupted', async () => {
    for (const [flags, expected] of [
      [[], 'Server stream data received:\n{\n  "id": 70,\n  "title": "Dune",\n  "author": "Frank Herbert"\n}\n'],
      [['--json'], '{"id":71,"title":"Dune","author":"Frank Herbert"}\n'],
    ] as const) {
      await eventually('no other watch is open', () => books.hub.watcherCount === 0);
      const watch = startCli(['watch', ...flags], {BOOKS_ADDRESS: books.address});
      try {
        // Insert once the server has registered the watch.
        await eventually('the watch is registered', () => books.hub.watcherCount > 0);
        await books.client.insert({id: flags.length === 0 ? 70 : 71, title: 'Dune', author: 'Frank Herbert'});
        await watch.output('the book', (stdout) => stdout.length >= expected.length);
        assert.equal(watch.stdout, expected);
      } finally {
        watch.interrupt();
      }
      assert.equal((await watch.finished).code, 0);
    }
  });

  test('watch reports the status when the server ends the stream', async () => {
    const other = await startBooksServer();
    const watch = startCli(['watch', '--json'], {BOOKS_ADDRESS: other.address});
    try {
      await eventually('the watch is registered', () => other.hub.watcherCount > 0);
      await other.close();
      const result = await watch.finished;
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^books: watch failed: UNAVAILABLE: server is shutting down/m);
    } finally {
      watch.interrupt();
      await other.close();
    }
  });
});
