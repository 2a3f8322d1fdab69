import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {TestContext} from 'node:test';
import {createBooksClient, type BooksConnection} from '../../src/client/client.js';
import {startServerProcess, type ServerProcess} from './processes.js';
import {freePort} from './free-port.js';

/** A server process on one SQLite file and one port, that a test stops and starts again. */
export interface RestartableServer {
  readonly address: string;
  /** Every process started so far; the last one is the current server. */
  readonly servers: ServerProcess[];
  /** A client of the current server. */
  readonly connection: BooksConnection;
  /** Starts a server process (again), and connects to it. */
  start(): Promise<void>;
}

export async function restartableServer(t: TestContext): Promise<RestartableServer> {
  const dir = mkdtempSync(join(tmpdir(), 'books-restarts-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const servers: ServerProcess[] = [];
  let connection = createBooksClient(address);
  t.after(() => {
    connection.close();
    for (const server of servers) server.child.kill('SIGKILL');
  });
  return {
    address,
    servers,
    get connection() {
      return connection;
    },
    async start() {
      servers.push(await startServerProcess(['--db', join(dir, 'books.db'), '--port', String(port)]));
      connection.close();
      connection = createBooksClient(address);
      // The new server answers before the test goes on.
      await connection.health.check({service: ''});
    },
  };
}
