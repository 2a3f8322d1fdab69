import pg from 'pg';
import type {Book} from '../../src/domain/book.js';
import {openSqlite} from '../../src/store/sqlite-driver.js';
import {catalogueIdOf, lastLoggedPosition, readChangeLog, type LogEntry} from '../../test/helpers/change-log.js';
import {booksBackends, terminateBackend, type Backend} from '../../test/helpers/pg-backends.js';

/** The soak's own connections, which the faults must not pick. */
export const SOAK_APPLICATION_NAME = 'books soak';

/**
 * The database read directly, not through a server: the change log and the
 * books as they are, to hold the consumer's output and the writer's
 * acknowledgements against.
 */
export interface Truth {
  catalogueId(): Promise<string>;
  lastPosition(): Promise<number>;
  /** Every change after `after`, by position. */
  changes(after?: number): Promise<LogEntry[]>;
  books(): Promise<Book[]>;
  /** PostgreSQL: the books servers' connections, and ending one. */
  readonly backends?: () => Promise<Backend[]>;
  readonly terminate?: (pid: number) => Promise<boolean>;
  /** PostgreSQL: runs SQL on a new connection (the check that the database still accepts one). */
  readonly execute?: (sql: string) => Promise<void>;
}

/**
 * Each read on a new connection: the database is restarted under the soak,
 * and a connection kept open would be one more thing to mend.
 */
export function postgresTruth(url: string, schema: string): Truth {
  const using = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({connectionString: url, application_name: SOAK_APPLICATION_NAME});
    // A failure shows in the query that meets it; the event must not end the soak.
    client.on('error', () => {});
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  return {
    catalogueId: () => using((client) => catalogueIdOf(client, schema)),
    lastPosition: () => using((client) => lastLoggedPosition(client, schema)),
    changes: (after = 0) => using((client) => readChangeLog(client, schema, after)),
    books: () =>
      using(async (client) => (await client.query<Book>(`SELECT id, title, author FROM ${schema}.books`)).rows),
    backends: () => using((client) => booksBackends(client, SOAK_APPLICATION_NAME)),
    terminate: (pid) => using((client) => terminateBackend(client, pid)),
    execute: (sql) => using(async (client) => void (await client.query(sql))),
  };
}

/** The server's SQLite file, opened for each read (WAL: the server writes on meanwhile). */
export function sqliteTruth(path: string): Truth {
  const using = async <T>(work: (db: ReturnType<typeof openSqlite>) => T): Promise<T> => {
    const db = openSqlite(path);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    catalogueId: () => using((db) => (db.prepare('SELECT id FROM catalogue').get() as {id: string}).id),
    lastPosition: () =>
      using((db) =>
        Number((db.prepare('SELECT max(position) AS last FROM changes').get() as {last: number | null}).last ?? 0),
      ),
    changes: (after = 0) =>
      using(
        (db) =>
          db
            .prepare('SELECT position, kind, id, title, author FROM changes WHERE position > ? ORDER BY position')
            .all(after) as LogEntry[],
      ),
    books: () => using((db) => db.prepare('SELECT id, title, author FROM books').all() as Book[]),
  };
}
