import pg from 'pg';
import type {Book} from '../domain/book.js';
import type {BookPage, BookSnapshot, BookStore} from '../domain/book-store.js';
import type {LoggedChange} from '../domain/change.js';
import {BookExistsError, StoreUnavailableError} from '../domain/errors.js';
import {checkedChanges, type ChangeRow} from './change-log.js';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Schema that holds the table; replicas that share one see each other's books. */
  readonly schema?: string;
  /** Told when the notification connection fails; once it is back, the feed catches up from the log. */
  readonly onListenError?: (error: unknown, retryInMs: number) => void;
}

/** 1: books; 2: the change log. */
const SCHEMA_VERSION = 2;
const MAX_RETRY_MS = 5000;

interface PagedRow extends Book {
  readonly position: string;
}

/**
 * A BookStore in PostgreSQL, for several server replicas on one database.
 *
 * The database enforces unique ids, so two replicas inserting one id at once
 * give one success and one ALREADY_EXISTS.
 *
 * A trigger writes every insert and delete to the change log in the writing
 * transaction. It numbers them from one counter row, which it updates first:
 * the row's lock is held until the transaction ends, so a second writer gets
 * the next number only once the first has committed (or rolled back, giving
 * its number back). Positions therefore follow commit order with no gap, and
 * a reader that has seen N can never later find a change below N, which a
 * sequence, numbered at insert time rather than at commit, would allow. The
 * trigger also sends a NOTIFY, delivered at commit to every replica: only a
 * wake-up to read the log, which is the truth, so a replica whose
 * notification connection was down catches up once it is back.
 */
export class PostgresStore implements BookStore {
  #catalogueId = '';
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #table: string;
  readonly #channel: string;
  readonly #options: PostgresStoreOptions;
  readonly #listeners: (() => void)[] = [];
  #pendingInserts: PendingInsert[] = [];
  #inserting = false;
  #listener: pg.Client | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(options: PostgresStoreOptions) {
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.#options = options;
    this.#schema = schema;
    this.#table = `${schema}.books`;
    this.#channel = `books_changes_${schema}`;
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
      const {rows} = await store.#query<{id: string}>(`SELECT catalogue_id AS id FROM ${store.#schema}.change_log`);
      store.#catalogueId = rows[0]?.id ?? '';
      await store.#listen();
    } catch (error: unknown) {
      await store.close();
      throw error;
    }
    return store;
  }

  get catalogueId(): string {
    return this.#catalogueId;
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

  /**
   * Inserts that arrive while a batch of them is being committed wait and go
   * in the next batch: one statement and one commit for all of them. Every
   * change takes the counter row's lock until commit, so one commit per
   * insert would make concurrent writers commit one after another.
   */
  insert(book: Book): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pendingInserts.push({book, resolve, reject});
      if (!this.#inserting) void this.#insertBatches();
    });
  }

  async delete(id: number): Promise<boolean> {
    const {rowCount} = await this.#query(`DELETE FROM ${this.#table} WHERE id = $1`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async readChanges(after: number, limit: number): Promise<LoggedChange[]> {
    const {rows} = await this.#query<ChangeRow>(
      `SELECT position, kind, id, title, author FROM ${this.#schema}.changes WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit],
    );
    return checkedChanges(after, rows);
  }

  async lastPosition(): Promise<number> {
    const {rows} = await this.#query<{position: string}>(
      `SELECT last_position AS position FROM ${this.#schema}.change_log`,
    );
    return Number(rows[0]?.position ?? 0);
  }

  /**
   * One REPEATABLE READ transaction on a connection of its own (not the
   * pool's, which writers need): the books and the log position as of its
   * first statement.
   */
  async snapshot(): Promise<BookSnapshot> {
    const client = new pg.Client({connectionString: this.#options.connectionString, connectionTimeoutMillis: 3000});
    try {
      await client.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const {rows} = await client.query<{position: string}>(
        `SELECT last_position AS position FROM ${this.#schema}.change_log`,
      );
      const table = this.#table;
      return {
        position: Number(rows[0]?.position ?? 0),
        async *pages(pageSize) {
          try {
            let after = '0';
            for (;;) {
              const page = await client.query<PagedRow>(
                `SELECT position, id, title, author FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`,
                [after, pageSize],
              );
              if (page.rows.length === 0) return;
              yield page.rows.map(({id, title, author}) => ({id, title, author}));
              after = page.rows.at(-1)!.position;
            }
          } finally {
            await client.end().catch(() => {});
          }
        },
      };
    } catch (error: unknown) {
      await client.end().catch(() => {});
      throw isConnectionFailure(error) ? new StoreUnavailableError(error) : error;
    }
  }

  async trimChanges(keep: number): Promise<void> {
    await this.#query(
      `DELETE FROM ${this.#schema}.changes WHERE position <= (SELECT last_position FROM ${this.#schema}.change_log) - $1`,
      [Math.max(keep, 1)],
    );
  }

  onChanges(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async #insertBatches(): Promise<void> {
    this.#inserting = true;
    try {
      while (this.#pendingInserts.length > 0) {
        const batch = this.#pendingInserts.splice(0, MAX_INSERTS_PER_COMMIT);
        try {
          // ON CONFLICT: a taken id fails alone rather than failing the whole batch.
          const {rows} = await this.#query<Book>(
            `INSERT INTO ${this.#table} (id, title, author)
             SELECT * FROM unnest($1::integer[], $2::text[], $3::text[])
             ON CONFLICT (id) DO NOTHING RETURNING id, title, author`,
            [batch.map(({book}) => book.id), batch.map(({book}) => book.title), batch.map(({book}) => book.author)],
          );
          settleInserts(batch, rows);
        } catch (error: unknown) {
          for (const write of batch) write.reject(error);
        }
      }
    } finally {
      this.#inserting = false;
    }
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
      const {rows} = await client.query<{version: number}>(
        `SELECT max(version) AS version FROM ${schema}.books_schema`,
      );
      const version = rows[0]?.version ?? 0;
      if (version < 1) {
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
      }
      if (version < 2) await client.query(changeLogDdl(schema, this.#channel));
      if (version < SCHEMA_VERSION) {
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
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      connectionTimeoutMillis: 3000,
      // Names the connection in pg_stat_activity, for operators (and the replica tests).
      application_name: `books listener ${process.pid}`,
    });
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#wake();
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
    // Changes committed while no connection listened were never announced.
    this.#wake();
  }

  #wake(): void {
    for (const listener of this.#listeners) listener();
  }

  /**
   * Reconnects the notification connection, with backoff, after it fails.
   * Watchers get nothing new meanwhile, then everything, from the log;
   * calls that need the database fail with UNAVAILABLE meanwhile.
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

/** An insert waiting for the next batch, and its caller. */
interface PendingInsert {
  readonly book: Book;
  resolve(): void;
  reject(error: unknown): void;
}

/** Inserts per statement at most. */
const MAX_INSERTS_PER_COMMIT = 512;

/**
 * Acknowledges each insert whose book was stored, exactly as stored, and
 * fails the others with BookExistsError: the id was taken, before or by an
 * earlier insert of the same batch.
 */
function settleInserts(batch: readonly PendingInsert[], stored: readonly Book[]): void {
  const storedById = new Map(stored.map((book) => [book.id, book]));
  for (const write of batch) {
    const book = storedById.get(write.book.id);
    if (book !== undefined && book.title === write.book.title && book.author === write.book.author) {
      storedById.delete(write.book.id);
      write.resolve();
    } else {
      write.reject(new BookExistsError(write.book.id));
    }
  }
}

/**
 * The change log of `schema`: the changes, the counter row that numbers
 * them in commit order (and names the catalogue in cursors), and the
 * trigger that writes both, and wakes every replica, in each writing
 * transaction.
 */
function changeLogDdl(schema: string, channel: string): string {
  return `
    CREATE TABLE ${schema}.changes (
      position bigint PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('created', 'deleted')),
      id integer NOT NULL,
      title text NOT NULL,
      author text NOT NULL
    );
    CREATE TABLE ${schema}.change_log (
      last_position bigint NOT NULL,
      catalogue_id uuid NOT NULL DEFAULT gen_random_uuid()
    );
    INSERT INTO ${schema}.change_log (last_position) VALUES (0);
    CREATE FUNCTION ${schema}.log_book_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      next_position bigint;
    BEGIN
      -- First, so that the counter row stays locked until commit: writers number their changes one after another.
      UPDATE ${schema}.change_log SET last_position = last_position + 1 RETURNING last_position INTO next_position;
      IF TG_OP = 'INSERT' THEN
        INSERT INTO ${schema}.changes VALUES (next_position, 'created', NEW.id, NEW.title, NEW.author);
      ELSE
        INSERT INTO ${schema}.changes VALUES (next_position, 'deleted', OLD.id, OLD.title, OLD.author);
      END IF;
      PERFORM pg_notify('${channel}', '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER book_changed AFTER INSERT OR DELETE ON ${schema}.books
      FOR EACH ROW EXECUTE FUNCTION ${schema}.log_book_change();`;
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
