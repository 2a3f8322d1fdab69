import pg from 'pg';
import type {Book} from '../domain/book.js';
import type {BookPage, BookStore} from '../domain/book-store.js';
import {BookExistsError, StoreUnavailableError} from '../domain/errors.js';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Schema that holds the table; replicas that share one see each other's books. */
  readonly schema?: string;
  /** Told when the notification connection fails and when it is back. */
  readonly onListenError?: (error: unknown, retryInMs: number) => void;
}

const SCHEMA_VERSION = 1;
const MAX_RETRY_MS = 5000;

interface PagedRow extends Book {
  readonly position: string;
}

/**
 * A BookStore in PostgreSQL, for several server replicas on one database.
 *
 * The database enforces unique ids, so two replicas inserting one id at once
 * give one success and one ALREADY_EXISTS. Each insert sends a NOTIFY in its
 * own transaction; PostgreSQL delivers notifications at commit, in commit
 * order, to every replica's LISTEN connection, and that is how every replica's
 * watchers see every insert exactly once.
 */
export class PostgresStore implements BookStore {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #channel: string;
  readonly #options: PostgresStoreOptions;
  readonly #listeners: ((book: Book) => void)[] = [];
  #listener: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(options: PostgresStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.#options = options;
    this.#table = `${schema}.books`;
    this.#channel = `books_inserted_${schema}`;
    // A short connection timeout: a call fails with UNAVAILABLE rather than
    // waiting out the client's deadline while the database is down.
    this.#pool = new pg.Pool({connectionString: options.connectionString, connectionTimeoutMillis: 3000, max: 10});
    // Idle clients that lose their connection report here; the pool replaces them.
    this.#pool.on('error', () => {});
  }

  /**
   * Connects, creates or migrates the schema (seeding a new table with
   * `seed`), and starts listening for inserts. Throws if the database is
   * unreachable, so that the server fails to start with a message.
   */
  static async open(options: PostgresStoreOptions, seed: readonly Book[] = []): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.#migrate(options.schema ?? 'public', seed);
      await store.#listen();
    } catch (error: unknown) {
      await store.close();
      throw error;
    }
    return store;
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    const {rows} = await this.#query<PagedRow>(
      `SELECT position, id, title, author FROM ${this.#table} WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      books: page.map(({id, title, author}) => ({id, title, author})),
      next: rows.length > limit && last !== undefined ? Number(last.position) : undefined,
    };
  }

  async get(id: number): Promise<Book | undefined> {
    const {rows} = await this.#query<Book>(`SELECT id, title, author FROM ${this.#table} WHERE id = $1`, [id]);
    return rows[0];
  }

  async insert(book: Book): Promise<void> {
    try {
      // One statement, one transaction: the row and its notification commit together.
      await this.#query(
        `WITH inserted AS (
           INSERT INTO ${this.#table} (id, title, author) VALUES ($1, $2, $3) RETURNING id, title, author
         )
         SELECT pg_notify($4, json_build_object('id', id, 'title', title, 'author', author)::text) FROM inserted`,
        [book.id, book.title, book.author, this.#channel],
      );
    } catch (error: unknown) {
      if (sqlState(error) === '23505') throw new BookExistsError(book.id);
      throw error;
    }
  }

  async delete(id: number): Promise<boolean> {
    const {rowCount} = await this.#query(`DELETE FROM ${this.#table} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  onInsert(listener: (book: Book) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    await this.#pool.end().catch(() => {});
  }

  async #query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
    try {
      return await this.#pool.query<Row>(text, values);
    } catch (error: unknown) {
      throw isConnectionFailure(error) ? new StoreUnavailableError(error) : error;
    }
  }

  async #migrate(schema: string, seed: readonly Book[]): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together take turns.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`books-migrate-${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.books_schema (version integer NOT NULL)`);
      const {rows} = await client.query<{version: number}>(`SELECT max(version) AS version FROM ${schema}.books_schema`);
      if ((rows[0]?.version ?? 0) < SCHEMA_VERSION) {
        // `position` orders List and pages; an identity never reuses a value.
        await client.query(`CREATE TABLE ${this.#table} (
          position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          id integer NOT NULL UNIQUE,
          title text NOT NULL,
          author text NOT NULL
        )`);
        for (const book of seed) {
          await client.query(`INSERT INTO ${this.#table} (id, title, author) VALUES ($1, $2, $3)`, [
            book.id,
            book.title,
            book.author,
          ]);
        }
        await client.query(`INSERT INTO ${schema}.books_schema (version) VALUES ($1)`, [SCHEMA_VERSION]);
      }
      await client.query('COMMIT');
    } catch (error: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({connectionString: this.#options.connectionString, connectionTimeoutMillis: 3000});
    client.on('notification', (message) => {
      if (message.channel !== this.#channel || message.payload === undefined) return;
      const book = JSON.parse(message.payload) as Book;
      for (const listener of this.#listeners) listener(book);
    });
    client.on('error', (error) => this.#relisten(error, 100));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (error: unknown) {
      await client.end().catch(() => {});
      throw error;
    }
    this.#listener = client;
  }

  /**
   * Reconnects the notification connection, with backoff, after it fails.
   * Inserts committed while it is down reach no watcher (NOTIFY keeps no
   * history); calls that need the database fail with UNAVAILABLE meanwhile.
   */
  #relisten(error: unknown, delayMs: number): void {
    if (this.#closed || this.#retry !== undefined) return;
    void this.#listener?.end().catch(() => {});
    this.#listener = undefined;
    this.#options.onListenError?.(error, delayMs);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#listen().catch((next: unknown) => this.#relisten(next, Math.min(delayMs * 2, MAX_RETRY_MS)));
    }, delayMs);
  }
}

function sqlState(error: unknown): string | undefined {
  const code = (error as {code?: unknown} | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Errors that say the database cannot be reached, not that the query was wrong. */
function isConnectionFailure(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) return error instanceof Error; // network errors, timeouts, "Connection terminated"
  if (/^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57P') || code === '53300';
  return true; // Node system errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT...
}
