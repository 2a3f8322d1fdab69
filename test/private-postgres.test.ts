import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {describe, test} from 'node:test';
import pg from 'pg';
import {eventually} from './helpers/eventually.js';
import {PRIVATE_POSTGRES_AVAILABLE, startPrivatePostgres} from './helpers/private-postgres.js';

/** A connection whose failures are told to `failures` rather than thrown at the process. */
async function connect(url: string, failures: unknown[] = []): Promise<pg.Client> {
  const client = new pg.Client({connectionString: url});
  client.on('error', (error) => failures.push(error));
  await client.connect();
  return client;
}

async function count(url: string): Promise<number> {
  const client = await connect(url);
  try {
    const {rows} = await client.query<{n: number}>('SELECT count(*)::int AS n FROM kept');
    const [row] = rows;
    assert.ok(row !== undefined, 'count(*) gives a row');
    return row.n;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE of a failed connection or query, or the message of any other failure. */
async function failureOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error: unknown) {
    const code = (error as {code?: unknown}).code;
    return typeof code === 'string' ? code : String(error);
  }
  return 'succeeded';
}

if (PRIVATE_POSTGRES_AVAILABLE)
  describe('a private PostgreSQL server for tests', () => {
    test('restart (fast, then a crash), stop and start keep committed data and the port; dispose removes it', async (t) => {
      const postgres = await startPrivatePostgres();
      t.after(() => postgres.dispose());
      const setup = await connect(postgres.url);
      await setup.query('CREATE TABLE kept (n integer)');
      await setup.query('INSERT INTO kept VALUES (1)');
      const {rows} = await setup.query<{listen: string}>("SELECT current_setting('listen_addresses') AS listen");
      assert.deepEqual(rows, [{listen: '127.0.0.1'}]);
      const {rows: sockets} = await setup.query<{dirs: string}>(
        "SELECT current_setting('unix_socket_directories') AS dirs",
      );
      assert.deepEqual(sockets, [{dirs: postgres.dir}]);

      // A connection open across a restart is ended by the server, and said so on 'error'.
      const failures: unknown[] = [];
      const open = await connect(postgres.url, failures);
      await postgres.restart();
      await eventually('the open connection hears of the restart', () => failures.length > 0);
      assert.equal((failures[0] as {code?: string}).code, '57P01', 'terminated by the administrator');
      assert.notEqual(await failureOf(open.query('SELECT 1')), 'succeeded');
      await setup.end().catch(() => {});
      assert.equal(await count(postgres.url), 1);

      const writer = await connect(postgres.url, []);
      await writer.query('INSERT INTO kept VALUES (2)');
      await postgres.restart('immediate');
      assert.equal(await count(postgres.url), 2, 'a committed row survives the crash');

      await postgres.stop();
      assert.equal(await failureOf(connect(postgres.url)), 'ECONNREFUSED');
      await postgres.start();
      assert.equal(await count(postgres.url), 2);

      await postgres.dispose();
      assert.equal(existsSync(postgres.dir), false);
      assert.equal(await failureOf(connect(postgres.url)), 'ECONNREFUSED');
    });

    test('max_connections is the one asked for, so a test can run it out', async (t) => {
      const [small, other] = await Promise.all([
        startPrivatePostgres({maxConnections: 6}),
        startPrivatePostgres({maxConnections: 8}),
      ]);
      t.after(() => Promise.all([small.dispose(), other.dispose()]));
      assert.notEqual(small.port, other.port);
      const clients = await Promise.all(Array.from({length: 6}, () => connect(small.url)));
      t.after(() => Promise.all(clients.map((client) => client.end())));
      assert.equal(await failureOf(connect(small.url)), '53300', 'too many clients already');
      // The other server is its own: it still accepts.
      const elsewhere = await connect(other.url);
      assert.deepEqual(
        (await elsewhere.query<{max: string}>("SELECT current_setting('max_connections') AS max")).rows,
        [{max: '8'}],
      );
      await elsewhere.end();
    });
  });
