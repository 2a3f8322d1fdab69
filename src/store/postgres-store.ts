import {retry} from 'abort-controller-x';
import pg from 'pg';
import type {Book} from '../domain/book.js';
import type {BookPage, BookSnapshot, BookStore} from '../domain/book-store.js';
import type {LoggedChange} from '../domain/change.js';
import {BookExistsError, SnapshotLimitError, StorageFullError, StoreUnavailableError} from '../domain/errors.js';
import {checkedChanges, type ChangeRow} from '../domain/feed/index.js';
import {idleSnapshot} from './idle-snapshot.js';
import {migrationsAfter} from './migrations.js';

/**
 * Its settings are named, and their defaults given, by the server's settings
 * (src/server/settings.ts), so the server passes a slice of its Config.
 */
export interface PostgresStoreOptions {
  readonly databaseUrl: string;
  /** Schema that holds the table; replicas that share one see each other's books. */
  readonly databaseSchema: string;
  /**
   * Connections this store opens at most, all told (at least 3): one listens
   * for changes, a quarter of the rest (at least 1) read snapshots, and the
   * others form the pool that serves calls, so that snapshots can never take
   * the connections inserts and reads need.
   */
  readonly databaseMaxConnections: number;
  /** A snapshot left unread this long is released. */
  readonly snapshotIdleTimeoutMs: number;
  /** Told when the notification connection fails; once it is back, the feed catches up from the log. */
  readonly onListenError?: (error: unknown, retryInMs: number) => void;
}

/** The notification connection is reconnected with jittered exponential backoff from this... */
const FIRST_RETRY_MS = 100;
/** ...up to this. */
const MAX_RETRY_MS = 5000;
/** A connection attempt that has not succeeded this soon has failed: calls answer UNAVAILABLE, not hang. */
const CONNECT_TIMEOUT_MS = 3000;
/**
 * A query with no answer this long has lost its connection (a half-open
 * TCP connection, a frozen network): the pool drops that connection.
 */
const QUERY_TIMEOUT_MS = 15_000;
/**
 * How often the notification connection is asked for a sign of life. A
 * connection that a NAT or firewall dropped without a reset never reports
 * an error, and would leave this replica's feed waiting for wake-ups that
 * cannot come.
 */
const LISTENER_PING_MS = 5000;
/** TCP keepalive on every connection, so that the kernel finds a dead peer too. */
const KEEPALIVE = {keepAlive: true, keepAliveInitialDelayMillis: 10_000} as const;

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
  readonly #reachabilityListeners: ((reachable: boolean) => void)[] = [];
  readonly #snapshotSlots: number;
  #snapshotsOpen = 0;
  #pendingInserts: PendingInsert[] = [];
  #inserting = false;
  #listener: pg.Client | undefined;
  #reachable = true;
  /** Aborted by close(): stops reconnecting. */
  readonly #closing = new AbortController();
  #ping: NodeJS.Timeout | undefined;

  private constructor(options: PostgresStoreOptions) {
    const schema = options.databaseSchema;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
    this.#options = options;
    this.#schema = schema;
    this.#table = `${schema}.books`;
    this.#channel = `books_changes_${schema}`;
    const budget = connectionBudget(options.databaseMaxConnections);
    this.#snapshotSlots = budget.snapshots;
    this.#pool = new pg.Pool({
      ...this.#connectionConfig('books'),
      max: budget.pool,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    // An idle client whose connection dies reports here (a database restart,
    // pg_terminate_backend); the pool drops it and opens another when needed.
    this.#pool.on('error', () => {});
  }

  /**
   * A short connection timeout, so that a call fails with UNAVAILABLE rather
   * than waiting out the client's deadline while the database is down; TCP
   * keepalive; and a name in pg_stat_activity, for operators (and tests).
   */
  #connectionConfig(role: string): pg.ClientConfig {
    return {
      connectionString: this.#options.databaseUrl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: `${role} ${process.pid}`,
      ...KEEPALIVE,
    };
  }

  /**
   * Connects, creates or migrates the schema (seeding a new table with
   * `seed`), and starts listening for inserts. Throws if the database is
   * unreachable, so that the server fails to start with a message.
   */
  static async open(options: PostgresStoreOptions, seed: readonly Book[] = []): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.#migrate(store.#schema, seed);
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
   * first statement. Snapshots share a few connections of the budget; past
   * them a snapshot is refused at once with SnapshotLimitError. The
   * connection is let go as soon as the snapshot is read, abandoned, or left
   * unread for the idle timeout.
   */
  async snapshot(): Promise<BookSnapshot> {
    if (this.#snapshotsOpen >= this.#snapshotSlots) throw new SnapshotLimitError(this.#snapshotSlots);
    this.#snapshotsOpen++;
    const client = new pg.Client(this.#connectionConfig('books snapshot'));
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      this.#snapshotsOpen--;
      // Not a polite end(), which waits for a connection that may be frozen.
      client.connection.stream.destroy();
    };
    // Its connection dying (a restart, pg_terminate_backend) fails the next
    // page read; without a listener it would be an uncaught exception.
    client.on('error', () => void release());
    try {
      await client.connect();
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const {rows} = await client.query<{position: string}>(
        `SELECT last_position AS position FROM ${this.#schema}.change_log`,
      );
      const table = this.#table;
      return idleSnapshot({
        position: Number(rows[0]?.position ?? 0),
        idleTimeoutMs: this.#options.snapshotIdleTimeoutMs,
        async readPage(after, pageSize) {
          if (released) throw new StoreUnavailableError(new Error('the snapshot connection was closed'));
          const page = await client
            .query<PagedRow>(
              `SELECT position, id, title, author FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`,
              [after, pageSize],
            )
            .catch((error: unknown) => {
              throw storeError(error);
            });
          const last = page.rows.at(-1);
          if (last === undefined) return undefined;
          return {books: page.rows.map(({id, title, author}) => ({id, title, author})), last: Number(last.position)};
        },
        release,
      });
    } catch (error: unknown) {
      await release();
      throw storeError(error);
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

  onReachability(listener: (reachable: boolean) => void): void {
    this.#reachabilityListeners.push(listener);
  }

  async #insertBatches(): Promise<void> {
    this.#inserting = true;
    try {
      while (this.#pendingInserts.length > 0) {
        const batch = this.#pendingInserts.splice(0, MAX_INSERTS_PER_COMMIT);
        try {
          settleInserts(batch, await this.#insertRows(batch.map(({book}) => book)));
        } catch (error: unknown) {
          await this.#insertOneByOne(batch, error);
        }
      }
    } finally {
      this.#inserting = false;
    }
  }

  /** Stores the books that are free, in one statement and one commit; returns those stored. */
  async #insertRows(books: readonly Book[]): Promise<Book[]> {
    // ON CONFLICT: a taken id fails alone rather than failing the whole batch.
    const {rows} = await this.#query<Book>(
      `INSERT INTO ${this.#table} (id, title, author)
       SELECT * FROM unnest($1::integer[], $2::text[], $3::text[])
       ON CONFLICT (id) DO NOTHING RETURNING id, title, author`,
      [books.map(({id}) => id), books.map(({title}) => title), books.map(({author}) => author)],
    );
    return rows;
  }

  /**
   * A batch failed as a whole for a reason other than a taken id (which it
   * expects): a database that cannot be reached or is full fails every
   * insert alike; anything else may be one book's fault, so each is tried
   * alone and only the one at fault fails, with its own error.
   */
  async #insertOneByOne(batch: readonly PendingInsert[], error: unknown): Promise<void> {
    if (batch.length === 1 || error instanceof StoreUnavailableError || error instanceof StorageFullError) {
      for (const write of batch) write.reject(error);
      return;
    }
    for (const write of batch) {
      try {
        settleInserts([write], await this.#insertRows([write.book]));
      } catch (alone: unknown) {
        write.reject(alone);
      }
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
    clearInterval(this.#ping);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    await this.#pool.end().catch(() => {});
  }

  async #query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>> {
    try {
      return await this.#pool.query<Row>(text, values);
    } catch (error: unknown) {
      throw storeError(error);
    }
  }

  /**
   * Applies the migrations (migrations/postgres/) the schema has not had, in
   * one transaction, and records the last in `books_schema`. The schema's
   * name reaches the files quoted as an identifier, the channel's as a literal.
   */
  async #migrate(schema: string, seed: readonly Book[]): Promise<void> {
    const client = await this.#pool.connect();
    // A checked-out client has no pool listener: its connection dying would
    // otherwise be an uncaught 'error' (the failed query reports it anyway).
    const ignore = (): void => {};
    client.on('error', ignore);
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
      const migrations = migrationsAfter('postgres', version, {
        schema: pg.escapeIdentifier(schema),
        channel: pg.escapeLiteral(this.#channel),
      });
      for (const migration of migrations) {
        await client.query(migration.sql);
        // A new catalogue's books, before the change log exists: its log starts empty.
        if (migration.version !== 1) continue;
        for (const book of seed) {
          await client.query(`INSERT INTO ${this.#table} (id, title, author) VALUES ($1, $2, $3)`, [
            book.id,
            book.title,
            book.author,
          ]);
        }
      }
      const last = migrations.at(-1);
      if (last !== undefined) {
        await client.query(`INSERT INTO ${schema}.books_schema (version) VALUES ($1)`, [last.version]);
      }
      await client.query('COMMIT');
    } catch (error: unknown) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.removeListener('error', ignore);
      client.release();
    }
  }

  /**
   * Opens the notification connection and LISTENs. Its failure, however it
   * shows (an error, the connection ending, a ping left unanswered), leads
   * to #relisten.
   */
  async #listen(): Promise<void> {
    const client = new pg.Client({...this.#connectionConfig('books listener'), query_timeout: LISTENER_PING_MS});
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      if (this.#listener === client) this.#listener = undefined;
      client.connection.stream.destroy();
      this.#relisten(error);
    };
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#wake();
    });
    client.on('error', fail);
    client.on('end', () => fail(new Error('the notification connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch (error: unknown) {
      failed = true;
      client.connection.stream.destroy();
      throw error;
    }
    if (this.#closing.signal.aborted) {
      await client.end().catch(() => {});
      return;
    }
    this.#listener = client;
    clearInterval(this.#ping);
    this.#ping = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => fail(error));
    }, LISTENER_PING_MS);
    this.#ping.unref();
    this.#setReachable(true);
    // Changes committed while no connection listened were never announced.
    this.#wake();
  }

  #wake(): void {
    for (const listener of this.#listeners) listener();
  }

  #setReachable(reachable: boolean): void {
    if (this.#reachable === reachable) return;
    this.#reachable = reachable;
    for (const listener of this.#reachabilityListeners) listener(reachable);
  }

  /**
   * Reconnects the notification connection after it fails, with jittered
   * exponential backoff, so that replicas cut off together do not come back
   * in lockstep. Watchers get nothing new from wake-ups meanwhile (the
   * feed's periodic catch-up still reads the log); the database counts as
   * unreachable until the connection is back.
   */
  #relisten(error: unknown): void {
    clearInterval(this.#ping);
    if (this.#closing.signal.aborted) return;
    this.#setReachable(false);
    this.#options.onListenError?.(error, 0);
    retry(this.#closing.signal, () => this.#listen(), {
      baseMs: FIRST_RETRY_MS,
      maxDelayMs: MAX_RETRY_MS,
      onError: (next, _attempt, delayMs) => this.#options.onListenError?.(next, delayMs),
    }).catch(() => {
      // Only close() ends the retries.
    });
  }
}

/**
 * How `max` connections are shared: one listens, a quarter of the rest (at
 * least one) read snapshots, the others are the pool.
 */
export function connectionBudget(max: number): {pool: number; snapshots: number} {
  if (!Number.isInteger(max) || max < 3) throw new Error(`maxConnections must be at least 3, got ${max}`);
  const snapshots = Math.max(1, Math.floor((max - 1) / 4));
  return {pool: max - 1 - snapshots, snapshots};
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

/** A database error in the domain's terms, when it has some: unreachable, or full. */
function storeError(error: unknown): unknown {
  if (sqlState(error) === DISK_FULL) return new StorageFullError(error);
  return isConnectionFailure(error) ? new StoreUnavailableError(error) : error;
}

/** SQLSTATE disk_full. */
const DISK_FULL = '53100';

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
