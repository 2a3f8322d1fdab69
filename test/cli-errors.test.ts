import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {parseAddress, UsageError} from '../src/cli/options.js';
import {startBooksServer} from './helpers/books-server.js';
import {runCliInProcess as cli, startCli} from './helpers/cli-in-process.js';
import {eventually} from './helpers/eventually.js';
import {freePort} from './helpers/free-port.js';

describe('CLI errors a person can act on', () => {
  test('a usage mistake prints the one line that says what is wrong, and where help is; exit 2', async () => {
    // An address nothing listens on: a call made by mistake would fail with exit 1, not 2.
    const env = {BOOKS_ADDRESS: `127.0.0.1:${await freePort()}`};
    for (const [args, problem, command] of [
      [['list', '--prot'], 'Unknown option `--prot`', 'list '],
      [['insert', '5', 'Only a title'], 'missing required args for command `insert <id> <title> <author>`', 'insert '],
      [['get', 'abc'], '<id> must be an integer that fits in 32 bits, got "abc"', 'get '],
      [
        ['list', '--token-file', '/no/such/token'],
        "--token-file: ENOENT: no such file or directory, open '/no/such/token'",
        'list ',
      ],
      [
        ['list', '--address', 'localhost:99999'],
        '--address must be host or host:port (a port from 1 to 65535), got "localhost:99999"',
        'list ',
      ],
      [['fetch'], 'unknown command "fetch"', ''],
      [[], 'missing command', ''],
    ] as const) {
      assert.deepEqual(await cli(args, env), {
        code: 2,
        stdout: '',
        stderr: `books: ${problem}\nRun 'books ${command}--help' for usage.\n`,
      });
    }
  });

  test('--address without a port means the books port, 50051; IPv6 goes in brackets', () => {
    for (const [given, address] of [
      ['localhost', 'localhost:50051'],
      ['books.example', 'books.example:50051'],
      ['10.0.0.7:8080', '10.0.0.7:8080'],
      ['[::1]', '[::1]:50051'],
      ['::1', '[::1]:50051'],
      ['[::1]:9000', '[::1]:9000'],
      ['unix:/run/books.sock', 'unix:/run/books.sock'],
    ] as const) {
      assert.equal(parseAddress(given), address, given);
    }
    for (const bad of ['', 'host:0', 'host:http', 'host:50051/path', '[::1']) {
      assert.throws(() => parseAddress(bad), UsageError, bad);
    }
  });

  test('a server never reached: one line, exit 1, without waiting for the deadline', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const refused = `books: cannot reach a books server at ${address} (connection refused)\n`;
    // A deadline longer than the test may run: a retried read would time the test out.
    for (const args of [
      ['list'],
      ['get', '1'],
      ['insert', '5', 'T', 'A'],
      ['health'],
      ['watch', '--reconnect'],
      ['changes', '--reconnect'],
    ]) {
      assert.deepEqual(await cli([...args, '--address', address, '--timeout', '120000']), {
        code: 1,
        stdout: '',
        stderr: refused,
      });
    }
  });

  test('INVALID_ARGUMENT prints each bad field, named as in the contract, and its reason', async () => {
    const books = await startBooksServer();
    try {
      const result = await cli(['insert', '0', ' ', 'Someone', '--address', books.address]);
      assert.deepEqual(result, {
        code: 1,
        stdout: '',
        stderr:
          'books: insert 0 failed: INVALID_ARGUMENT: id: must be a positive 32-bit integer, got 0; ' +
          'title: must not be empty or blank\n',
      });
    } finally {
      await books.close();
    }
  });

  test('watch --reconnect says in one plain line why it reconnects, with no empty resolution note', async () => {
    const books = await startBooksServer();
    const watching = startCli(['watch', '--reconnect', '--json', '--address', books.address]);
    try {
      await eventually('the watch is open', () => books.hub.watcherCount === 1);
      await books.close();
      const refused = `books: watch interrupted (cannot reach a books server at ${books.address}: connection refused); `;
      await watching.output('a reconnection fails', (_stdout, stderr) =>
        stderr.split('\n').some((line) => line.startsWith(refused)),
      );
      assert.ok(!watching.stderr.includes('Resolution note'), watching.stderr);
    } finally {
      watching.interrupt();
      assert.equal((await watching.finished).code, 0);
    }
  });
});
