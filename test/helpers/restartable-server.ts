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
  /** A client of the current server. */
  readonly connection: BooksConnection;
  /** Starts a server process (again), and connects to it. */
  start(): Promise<void>;
  /** Sends the current server process `signal` and waits for it to exit. */
  stop(signal: NodeJS.Signals): Promise<void>;
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
    async stop(signal) {
      const current = servers.at(-1);
      if (current === undefined) throw new Error('no server process started');
      current.child.kill(signal);
      await current.exited;
    },
  };
}
