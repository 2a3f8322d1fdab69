import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import {ClientError, Status} from 'nice-grpc';
import pg from 'pg';
import {createBooksClient, type BooksConnection} from '../src/client/client.js';
import {followChanges} from '../src/client/follow-changes.js';
import type {BookChange} from '../src/gen/books/books.js';
import {describeChange} from './helpers/change-stream.js';
import {runCliInProcess} from './helpers/cli-in-process.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {stalledConnection} from './helpers/stalled-stream.js';
import {dropSchema, POSTGRES_AVAILABLE, TEST_DATABASE_URL, uniqueSchema} from './helpers/stores.js';
import {startTcpProxy} from './helpers/tcp-proxy.js';

// Faults of the database and of hostile clients, against real PostgreSQL and
// server processes (a crash shows as the process exiting). Each test ends by
// checking what must hold after any fault: the server is alive and serving,
// and the database still takes new connections.

const DATABASE_URL = TEST_DATABASE_URL ?? '';

async function sql<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({connectionString: DATABASE_URL});
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The backends a server process holds, by the role its connections are named for. */
async function backends(server: ServerProcess, role: 'books' | 'books listener' | 'books snapshot'): Promise<number[]> {
  const rows = await sql<{pid: number}>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    `${role} ${server.child.pid}`,
  ]);
  return rows.map(({pid}) => pid);
}

async function connectionsOf(server: ServerProcess): Promise<number> {
  const rows = await sql<{count: string}>(
    'SELECT count(*) AS count FROM pg_stat_activity WHERE application_name LIKE $1',
    [`books% ${server.child.pid}`],
  );
  return Number(rows[0]?.count ?? 0);
}

async function terminate(pids: readonly number[]): Promise<void> {
  for (const pid of pids) await sql('SELECT pg_terminate_backend($1)', [pid]);
}

/** Waits until an async condition holds; fails naming it after `timeoutMs`. */
async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await delay(20);
  }
}

async function assertAliveAndServing(server: ServerProcess): Promise<void> {
  assert.equal(server.child.exitCode, null, 'the server process is alive');
  assert.equal(server.child.signalCode, null, 'the server process is alive');
  await until('the server reports SERVING', async () => {
    const {code} = await runCliInProcess(['health', '--address', server.address]);
    return code === 0;
  });
  // A new connection to the database still succeeds (psql would).
  assert.equal((await sql<{one: number}>('SELECT 1 AS one'))[0]?.one, 1);
}

/** The schema's change log as `+id`/`-id`, in position order. */
async function changeLog(schema: string): Promise<string[]> {
  const rows = await sql<{kind: string; id: number}>(`SELECT kind, id FROM ${schema}.changes ORDER BY position`);
  return rows.map(({kind, id}) => `${kind === 'created' ? '+' : '-'}${id}`);
}

/**
 * Fills the catalogue with enough books, long enough, that a snapshot
 * outlasts everything the server and the client buffer for a stream that
 * is not read (several MiB): the snapshot then really waits for its reader.
 */
async function fill(schema: string, count: number): Promise<void> {
  await sql(
    `INSERT INTO ${schema}.books (id, title, author)
     SELECT g, repeat('A long title to fill the window ', 7) || g, repeat('Filler ', 30)
     FROM generate_series(100000, 100000 + $1 - 1) g`,
    [count],
  );
}

/**
 * Follows every change from now, recording each as `+id`/`-id`; stops when
 * aborted. `opened`: the stream is open, and every later change will be seen.
 */
function follow(
  connection: BooksConnection,
  signal: AbortSignal,
): {seen: string[]; opened: Promise<void>; done: Promise<void>} {
  const seen: string[] = [];
  let onOpen = (): void => {};
  const opened = new Promise<void>((resolve) => (onOpen = resolve));
  const done = (async () => {
    try {
      const followed = followChanges(connection.client, {signal, reached: connection.reached, onOpen});
      for await (const {changes} of followed) {
        seen.push(...changes.map((change: BookChange) => describeChange(change)));
      }
    } catch (error: unknown) {
      if (!signal.aborted) throw error;
    }
  })();
  return {seen, opened, done};
}

if (POSTGRES_AVAILABLE)
  describe('PostgreSQL faults', () => {
    const schema = uniqueSchema();
    let server: ServerProcess;
    let connection: BooksConnection;
    before(async () => {
      server = await startServerProcess([
        '--database-url',
        DATABASE_URL,
        '--database-schema',
        schema,
        '--snapshot-idle-timeout-ms',
        '2000',
      ]);
      connection = createBooksClient(server.address, {timeoutMs: 20_000});
      await fill(schema, 40_000);
    });
    after(async () => {
      connection?.close();
      server?.child.kill('SIGTERM');
      await server?.exited;
      await dropSchema(schema);
    });

    test('a snapshot whose database connection is terminated ends its stream with UNAVAILABLE; the server lives', async () => {
      const client = stalledConnection(server.address);
      try {
        const stream = client.open({includeExisting: true});
        assert.equal(await stream.opened, undefined, 'the snapshot started');
        let snapshots: number[] = [];
        await until('the snapshot holds a connection', async () => {
          snapshots = await backends(server, 'books snapshot');
          return snapshots.length === 1;
        });
        await terminate(snapshots);
        const {status, message} = await stream.readToEnd();
        assert.equal(status, Status.UNAVAILABLE, message);
        await assertAliveAndServing(server);
      } finally {
        client.close();
      }
    });

    test('pool connections terminated under inserts: the server lives, acknowledged writes and their changes are all there once', async () => {
      const following = new AbortController();
      const follower = follow(connection, following.signal);
      await follower.opened;
      const acknowledged: number[] = [];
      let writing = true;
      const writer = (async () => {
        for (let id = 1000; writing; id++) {
          try {
            await connection.client.insert({id, title: `Book ${id}`, author: 'Writer'});
            acknowledged.push(id);
          } catch (error: unknown) {
            if (!(error instanceof ClientError && error.code === Status.UNAVAILABLE)) throw error;
          }
        }
      })();
      try {
        await until('inserts are stored', () => acknowledged.length >= 20);
        for (let round = 0; round < 3; round++) {
          const before = acknowledged.length;
          const pool = await backends(server, 'books');
          assert.ok(pool.length > 0, 'the server holds pool connections to terminate');
          await terminate(pool);
          await until('inserts are stored again', () => acknowledged.length >= before + 20);
        }
      } finally {
        writing = false;
        await writer;
      }
      const stored = await sql<{id: number}>(`SELECT id FROM ${schema}.books WHERE author = 'Writer'`);
      const storedIds = new Set(stored.map(({id}) => id));
      assert.deepEqual(
        acknowledged.filter((id) => !storedIds.has(id)),
        [],
        'every acknowledged insert is stored',
      );
      const ours = (change: string): boolean => Number(change.slice(1)) >= 1000 && Number(change.slice(1)) < 90_000;
      const log = (await changeLog(schema)).filter(ours);
      await until(
        `the follower has every change (${log.length} logged)`,
        () => follower.seen.length >= log.length,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; seen ${follower.seen.length}: ${follower.seen.slice(0, 5).join(',')}...`);
      });
      following.abort();
      await follower.done;
      assert.deepEqual(follower.seen, log, 'the follower saw every change once, in order');
      await assertAliveAndServing(server);
    });

    test('300 non-reading include_existing streams hold no more connections than the budget; inserts, reads and psql go on', async () => {
      const other = await startServerProcess(['--database-url', DATABASE_URL, '--database-schema', schema]);
      const otherConnection = createBooksClient(other.address);
      const clients = Array.from({length: 10}, () => stalledConnection(server.address));
      try {
        const streams = Array.from({length: 300}, (_, i) => clients[i % clients.length]!.open({includeExisting: true}));
        const statuses = await Promise.all(streams.map((stream) => stream.opened));
        const refused = statuses.filter((status) => status === Status.RESOURCE_EXHAUSTED).length;
        const started = statuses.filter((status) => status === undefined).length;
        assert.equal(refused + started, 300, `every stream is started or refused: ${statuses.join(',')}`);
        assert.ok(started >= 1, 'some snapshots start');
        assert.ok((await connectionsOf(server)) <= 10, 'the server holds at most --database-max-connections');
        // This replica, the other replica and psql all go on.
        await connection.client.insert({id: 90_001, title: 'During the flood', author: 'Here'});
        assert.equal((await connection.client.get({id: 90_001})).title, 'During the flood');
        await otherConnection.client.insert({id: 90_002, title: 'During the flood', author: 'There'});
        assert.equal((await sql<{one: number}>('SELECT 1 AS one'))[0]?.one, 1);
        // Stalled snapshots let go of their connections after the idle timeout.
        await until('idle snapshots release their connections', async () => {
          return (await backends(server, 'books snapshot')).length === 0;
        });
        const ended = await Promise.all(
          streams.filter((_, i) => statuses[i] === undefined).map((stream) => stream.readToEnd()),
        );
        for (const {status, message} of ended) {
          assert.equal(status, Status.UNAVAILABLE, message);
          assert.match(message ?? '', /abandoned/);
        }
        await assertAliveAndServing(server);
      } finally {
        for (const client of clients) client.close();
        otherConnection.close();
        other.child.kill('SIGTERM');
        await other.exited;
      }
    });
  });

if (POSTGRES_AVAILABLE)
  describe('a frozen notification connection', () => {
    test('changes still reach watchers (the feed polls the log), the server says wake-ups are lost, and recovers', async () => {
      const url = new URL(DATABASE_URL);
      const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const schema = uniqueSchema();
      const common = ['--database-schema', schema, '--feed-poll-ms', '200'];
      const watched = await startServerProcess(['--database-url', url.toString(), ...common]);
      const writer = await startServerProcess(['--database-url', DATABASE_URL, ...common]);
      const watchedConnection = createBooksClient(watched.address);
      const writerConnection = createBooksClient(writer.address);
      const following = new AbortController();
      const follower = follow(watchedConnection, following.signal);
      try {
        await follower.opened;
        // A NAT or firewall drops the connection without a reset: nothing
        // arrives, nothing fails. Only the listener's traffic is frozen.
        proxy.freeze((firstBytes) => firstBytes.includes('books listener'));
        const logged = (message: string) => watched.logs.some((entry) => String(entry['msg']).includes(message));
        for (let id = 1; !logged('wake-ups are being lost'); id++) {
          await writerConnection.client.insert({id, title: `Book ${id}`, author: 'Elsewhere'});
          await until(`book ${id} reaches the watcher on the frozen replica`, () => follower.seen.includes(`+${id}`));
        }
        proxy.thaw();
        // Once the listener is back, a wake-up brings the next change again.
        for (let id = 5000; !logged('wake-ups arrive again'); id++) {
          await writerConnection.client.insert({id, title: `Book ${id}`, author: 'Elsewhere'});
          await until(`book ${id} reaches the watcher`, () => follower.seen.includes(`+${id}`), 60_000);
        }
        const log = (await changeLog(schema)).filter((change) => change !== '+123');
        assert.deepEqual(follower.seen, log, 'the watcher saw every change once, in order');
        await assertAliveAndServing(watched);
      } finally {
        following.abort();
        await follower.done;
        watchedConnection.close();
        writerConnection.close();
        for (const server of [watched, writer]) server.child.kill('SIGTERM');
        await Promise.all([watched.exited, writer.exited]);
        await proxy.close();
        await dropSchema(schema);
      }
    });
  });
