import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {once} from 'node:events';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {connect} from 'node:net';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {createClient} from '@connectrpc/connect';
import {createConnectTransport} from '@connectrpc/connect-node';
import {Status} from 'nice-grpc';
import {createBooksClient} from '../src/client/client.js';
import {BookService} from '../src/gen/es/books/books_pb.js';
import {startBooksServer} from './helpers/books-server.js';
import {freePort} from './helpers/free-port.js';
import {runCliInProcess} from './helpers/cli-in-process.js';
import {runCliProcess, startServerProcess} from './helpers/processes.js';
import {ReflectionClient} from './helpers/reflection-client.js';
import {hasCode} from './helpers/status.js';

describe('TLS', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  before(() => {
    // The README's test certificate, made as the README says: for localhost and 127.0.0.1.
    dir = mkdtempSync(join(tmpdir(), 'books-tls-'));
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const recipe = /^```sh\n(openssl req -x509 [^`]*?)```$/m.exec(readme)?.[1];
    assert.ok(recipe !== undefined, "the README's test certificate recipe");
    execFileSync('sh', ['-c', recipe], {cwd: dir, stdio: 'ignore'});
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  after(() => rmSync(dir, {recursive: true, force: true}));

  test('the whole CLI works against a TLS server with --ca; plaintext is refused', async () => {
    const books = await startBooksServer({tls: {cert, key}, clientOptions: {tls: {ca: cert}}});
    try {
      // By the name the certificate holds: TLS forbids an IP address as the
      // server name, and Node 26 refuses one outright.
      const address = books.address.replace('127.0.0.1', 'localhost');
      const cli = (...args: string[]) =>
        runCliInProcess([...args, '--address', address, '--ca', join(dir, 'cert.pem')]);
      assert.equal((await cli('insert', '2', 'The Three Musketeers', 'Alexandre Dumas')).code, 0);
      assert.equal(JSON.parse((await cli('get', '2', '--json')).stdout).title, 'The Three Musketeers');
      assert.match((await cli('list')).stdout, /^Server sent 2 book\(s\)\./);
      assert.equal((await cli('health')).stdout, 'SERVING\n');
      assert.equal((await cli('delete', '2')).code, 0);
      const plaintext = await runCliInProcess(['list', '--address', books.address, '--timeout', '2000']);
      assert.equal(plaintext.code, 1);
      assert.match(plaintext.stderr, /^books: cannot reach a books server at /);
    } finally {
      await books.close();
    }
  });

  test('the web port speaks HTTPS with the same certificate; plain HTTP is refused', async (t) => {
    const books = await startBooksServer({tls: {cert, key}, web: true});
    t.after(() => books.close());
    const {webUrl = ''} = books;
    assert.match(webUrl, /^https:\/\//);
    const transport = createConnectTransport({baseUrl: webUrl, httpVersion: '1.1', nodeOptions: {ca: cert}});
    const client = createClient(BookService, transport);
    await client.insert({id: 7, title: 'Twenty Years After', author: 'Alexandre Dumas'});
    assert.equal((await client.get({id: 7})).title, 'Twenty Years After');
    // No bearer token or book crosses the network in the clear to a server given a certificate.
    await assert.rejects(
      fetch(`${webUrl.replace('https:', 'http:')}/books.BookService/Get`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: '{"id":7}',
      }),
    );
  });

  test('shutdown closes a web connection stalled in its TLS handshake', async (t) => {
    const books = await startBooksServer({tls: {cert, key}, web: true, shutdownTimeoutMs: 100});
    t.after(() => books.close());
    // A client that connects and never says hello: HTTPS does not count it as a connection until it does.
    const stalled = connect(Number(new URL(books.webUrl ?? '').port), '127.0.0.1');
    stalled.on('error', () => {});
    await once(stalled, 'connect');
    const closed = once(stalled, 'close');
    await books.close();
    await closed;
  });

  test('the server process takes --tls-cert and --tls-key; the CLI reaches it by name and by IP address', async (t) => {
    const server = await startServerProcess([
      '--tls-cert',
      join(dir, 'cert.pem'),
      '--tls-key',
      join(dir, 'key.pem'),
      '--web-port',
      String(await freePort()),
    ]);
    t.after(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const listening = server.logs.find((line) => line['msg'] === 'listening');
    assert.equal(listening?.['tls'], true);
    assert.match(String(listening?.['web']), /^https:\/\//);
    for (const address of [server.address.replace('127.0.0.1', 'localhost'), server.address]) {
      const result = await runCliInProcess(['list', '--json', '--address', address, '--ca', join(dir, 'cert.pem')]);
      assert.deepEqual([result.code, JSON.parse(result.stdout).books.length, result.stderr], [0, 1, ''], address);
    }
  });

  /** Node's own words were a bare "IP: 127.0.0.1 is not in the cert's list: " and a DeprecationWarning. */
  test('TLS to a host the certificate does not name: one line that says so, and no Node warning', async (t) => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat(
        ['-subj', '/CN=books.example', '-addext', 'subjectAltName=DNS:books.example'],
        ['-keyout', join(dir, 'name-key.pem'), '-out', join(dir, 'name-cert.pem')],
      ),
      {stdio: 'ignore'},
    );
    const nameCert = readFileSync(join(dir, 'name-cert.pem'));
    const books = await startBooksServer({tls: {cert: nameCert, key: readFileSync(join(dir, 'name-key.pem'))}});
    t.after(() => books.close());
    // A process of its own: the warning would be the process's, on its stderr.
    const result = await runCliProcess(['list', '--address', books.address, '--ca', join(dir, 'name-cert.pem')]);
    assert.deepEqual(
      [result.code, result.stdout, result.stderr],
      [
        1,
        '',
        `books: cannot reach a books server at ${books.address} (TLS: the server's certificate does not name ` +
          'the IP address 127.0.0.1; connect by a host name that it names, or add IP:127.0.0.1 to its subjectAltName)\n',
      ],
    );
    const byName = await runCliInProcess(
      ['list', '--address', books.address.replace('127.0.0.1', 'localhost')].concat([
        '--ca',
        join(dir, 'name-cert.pem'),
      ]),
    );
    assert.equal(
      byName.stderr,
      `books: cannot reach a books server at ${books.address.replace('127.0.0.1', 'localhost')} ` +
        "(TLS: the server's certificate names DNS:books.example, not localhost)\n",
    );
  });
});

describe('token auth', () => {
  const token = 's3cret-token-for-tests';

  test('writes need the token: missing is UNAUTHENTICATED, wrong is PERMISSION_DENIED; reads stay open', async () => {
    const books = await startBooksServer({token});
    try {
      const book = {id: 2, title: 'Dune', author: 'Frank Herbert'};
      await assert.rejects(books.client.insert(book), hasCode(Status.UNAUTHENTICATED));
      await assert.rejects(books.client.delete({id: 123}), hasCode(Status.UNAUTHENTICATED));
      const wrong = createBooksClient(books.address, {token: 'not-it'});
      await assert.rejects(wrong.client.insert(book), hasCode(Status.PERMISSION_DENIED));
      wrong.close();
      const right = createBooksClient(books.address, {token});
      await right.client.insert(book);
      right.close();
      assert.equal((await books.client.get({id: 2})).title, 'Dune');
      assert.equal((await books.client.list({})).books.length, 2);
      assert.ok(!JSON.stringify(books.logs).includes(token), 'the token appears in the logs');
    } finally {
      await books.close();
    }
  });

  test('with authReads, reads need the token too, streams included; health and reflection stay open', async () => {
    const books = await startBooksServer({token, authReads: true});
    try {
      await assert.rejects(books.client.list({}), hasCode(Status.UNAUTHENTICATED));
      await assert.rejects(
        (async () => {
          for await (const _ of books.client.watchChanges({})) break;
        })(),
        hasCode(Status.UNAUTHENTICATED),
      );
      const {health, close} = createBooksClient(books.address);
      assert.deepEqual(await health.check({service: ''}), {status: 1});
      close();
      const reflection = new ReflectionClient(books.address, 'v1');
      assert.deepEqual(await reflection.listServices(), ['books.BookService', 'grpc.health.v1.Health']);
      // A refusal is the client's to act on, not the operator's.
      const loud = books.logs.filter(({level}) => level === 'warn' || level === 'error');
      assert.deepEqual(loud, []);
    } finally {
      await books.close();
    }
  });

  test('the CLI sends the token from BOOKS_TOKEN or --token-file; the server reads BOOKS_TOKEN_FILE and never logs it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'books-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    const server = await startServerProcess([], {BOOKS_TOKEN_FILE: file});
    try {
      const denied = await runCliInProcess(['insert', '5', 'A', 'B', '--address', server.address]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /UNAUTHENTICATED/);
      const fromEnv = await runCliInProcess(['insert', '5', 'A', 'B', '--address', server.address], {
        BOOKS_TOKEN: token,
      });
      assert.equal(fromEnv.code, 0, fromEnv.stderr);
      const fromFile = await runCliInProcess(['delete', '5', '--address', server.address, '--token-file', file]);
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.ok(!JSON.stringify(server.logs).includes(token), 'the token appears in the logs');
      assert.equal((server.logs[0]?.['config'] as Record<string, unknown> | undefined)?.['token'], 'set');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
