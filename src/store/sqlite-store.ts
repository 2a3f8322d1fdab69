import {randomUUID} from 'node:crypto';
import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';
import type {Book} from '../domain/book.js';
import type {BookPage, BookSnapshot, BookStore} from '../domain/book-store.js';
import type {LoggedChange} from '../domain/change.js';
import {BookExistsError} from '../domain/errors.js';
import {checkedChanges, type ChangeRow} from '../domain/feed/index.js';
import {idleSnapshot} from './idle-snapshot.js';
import {migrationsAfter} from './migrations.js';
import {openSqlite, type SqliteDatabase, type SqliteDriverName} from './sqlite-driver.js';
import {mapStoreErrors, sqliteResultCode, toStoreError} from './sqlite-errors.js';

interface BookRow {
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

interface PagedRow extends BookRow {
  readonly position: number;
}

/** A write waiting for the next commit, and its caller. */
type PendingWrite =
  | {readonly kind: 'insert'; readonly book: Book; settle(error: Error | undefined): void}
  | {readonly kind: 'delete'; readonly id: number; settle(error: Error | undefined, deleted?: boolean): void};

/** Writes per transaction at most, so that one commit holds the event loop for milliseconds, not longer. */
const MAX_WRITES_PER_COMMIT = 512;

/** Up to a page of books after a position, in insertion order: List's pages and a snapshot's alike. */
const PAGE = 'SELECT position, id, title, author FROM books WHERE position > ? ORDER BY position LIMIT ?';

/**
 * Its settings are named, and their defaults given, by the server's settings
 * (src/server/settings.ts), so the server passes a slice of its Config.
 */
export interface SqliteStoreOptions {
  /** The binding: by default node:sqlite where Node has it, else better-sqlite3. */
  readonly driver?: SqliteDriverName;
  /** A snapshot whose reader asks for nothing this long is released. */
  readonly snapshotIdleTimeoutMs: number;
}

/**
 * A BookStore in one SQLite file: durable with nothing to install. Every
 * write is committed (WAL, synchronous=FULL) before it is acknowledged, so an
 * acknowledged book survives `kill -9` and power loss alike.
 *
 * Writes are committed in groups: those that arrive while the event loop is
 * busy share one transaction, and so one fsync, then are acknowledged
 * together. One fsync per write capped inserts at the disk's sync rate, a few
 * thousand a second however many clients were waiting. A write that fails
 * alone (an id already taken) fails alone; if the commit fails, every write
 * in it fails and none is acknowledged.
 *
 * Triggers write every insert and delete to the change log in the same
 * transaction, whoever makes it: SQLite lets one writer in at a time, so log
 * positions follow commit order.
 *
 * Every statement is prepared once and lives as long as the store.
 *
 * SQLite's errors that a client can act on become the domain's: a full disk
 * is StorageFullError, a lock held too long or a file that cannot be written,
 * read or opened is StoreUnavailableError (sqlite-errors.ts). Reads go on
 * while writes fail, and nothing needs a restart once the cause is gone.
 */
export class SqliteStore implements BookStore {
  readonly catalogueId: string;
  readonly #path: string;
  readonly #driver: SqliteDriverName | undefined;
  readonly #snapshotIdleTimeoutMs: number;
  readonly #db: SqliteDatabase;
  readonly #listeners: (() => void)[] = [];
  readonly #statements;
  #pending: PendingWrite[] = [];
  #commitScheduled = false;
  #open = true;
  /** A commit failed for want of space (or a failed write): the next one that succeeds checkpoints the WAL. */
  #checkpointDue = false;

  /** Opens the file at `path`, creating it with `seed` in it if it is new. */
  constructor(path: string, seed: readonly Book[], options: SqliteStoreOptions) {
    const {driver, snapshotIdleTimeoutMs} = options;
    mkdirSync(dirname(path), {recursive: true});
    this.#path = path;
    this.#driver = driver;
    this.#snapshotIdleTimeoutMs = snapshotIdleTimeoutMs;
    this.#db = mapStoreErrors(() => openSqlite(path, driver));
    mapStoreErrors(() => {
      // SQLite waits for another process's lock synchronously, holding the
      // event loop and so every other call: a short wait, after which the
      // write fails with UNAVAILABLE (and may be tried again), keeps the
      // server answering while an operator's shell holds the database.
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 1000;');
      this.#migrate(seed);
    });
    this.catalogueId = (this.#db.prepare('SELECT id FROM catalogue').get() as {id: string}).id;
    this.#statements = {
      changes: this.#db.prepare(
        'SELECT position, kind, id, title, author FROM changes WHERE position > ? ORDER BY position LIMIT ?',
      ),
      lastPosition: this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'"),
      trim: this.#db.prepare(
        "DELETE FROM changes WHERE position <= (SELECT seq FROM sqlite_sequence WHERE name = 'changes') - ?",
      ),
      page: this.#db.prepare(PAGE),
      get: this.#db.prepare('SELECT id, title, author FROM books WHERE id = ?'),
      // A taken id changes no row, rather than aborting the whole group's transaction.
      insert: this.#db.prepare('INSERT INTO books (id, title, author) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      delete: this.#db.prepare('DELETE FROM books WHERE id = ?'),
    };
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    // One row more than asked tells whether a next page exists.
    const rows = mapStoreErrors(() => this.#statements.page.all(after, limit + 1)) as PagedRow[];
    const page = rows.slice(0, limit);
    return {books: page.map(toBook), next: rows.length > limit ? page.at(-1)?.position : undefined};
  }

  async get(id: number): Promise<Book | undefined> {
    const row = mapStoreErrors(() => this.#statements.get.get(id)) as BookRow | undefined;
    return row === undefined ? undefined : toBook(row);
  }

  insert(book: Book): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#enqueue({kind: 'insert', book, settle: (error) => (error === undefined ? resolve() : reject(error))}),
    );
  }

  delete(id: number): Promise<boolean> {
    return new Promise((resolve, reject) =>
      this.#enqueue({
        kind: 'delete',
        id,
        settle: (error, deleted = false) => (error === undefined ? resolve(deleted) : reject(error)),
      }),
    );
  }

  async readChanges(after: number, limit: number): Promise<LoggedChange[]> {
    const rows = mapStoreErrors(() => this.#statements.changes.all(after, limit)) as ChangeRow[];
    return checkedChanges(after, rows);
  }

  async lastPosition(): Promise<number> {
    return lastPositionIn(mapStoreErrors(() => this.#statements.lastPosition.get()));
  }

  /**
   * Reads through a connection of its own, in one read transaction: WAL
   * gives it the database as of its first read, while this connection goes
   * on committing. The connection is closed once the snapshot is read to
   * the end, abandoned, or left unread for the idle timeout: as long as its
   * read transaction is open, no checkpoint can get past it, and the WAL
   * grows with every commit.
   */
  async snapshot(): Promise<BookSnapshot> {
    const db = mapStoreErrors(() => openSqlite(this.#path, this.#driver));
    try {
      db.exec('PRAGMA query_only = ON; BEGIN');
      const position = lastPositionIn(db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get());
      const page = db.prepare(PAGE);
      return idleSnapshot({
        position,
        idleTimeoutMs: this.#snapshotIdleTimeoutMs,
        async readPage(after, pageSize) {
          const rows = mapStoreErrors(() => page.all(after, pageSize)) as PagedRow[];
          const last = rows.at(-1);
          return last === undefined ? undefined : {books: rows.map(toBook), last: last.position};
        },
        release: () => db.close(),
      });
    } catch (error: unknown) {
      db.close();
      throw toStoreError(error);
    }
  }

  async trimChanges(keep: number): Promise<void> {
    if (this.#open) mapStoreErrors(() => this.#statements.trim.run(Math.max(keep, 1)));
  }

  onChanges(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    // Writes already asked for are committed, not dropped.
    while (this.#pending.length > 0) this.#commit();
    this.#open = false;
    this.#db.close();
  }

  #enqueue(write: PendingWrite): void {
    if (!this.#open) {
      write.settle(new Error('the store is closed'));
      return;
    }
    this.#pending.push(write);
    this.#scheduleCommit();
  }

  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    // After the I/O that is ready now: every request already received joins this commit.
    setImmediate(() => {
      this.#commitScheduled = false;
      this.#commit();
      if (this.#pending.length > 0) this.#scheduleCommit();
    });
  }

  /** Commits the oldest pending writes in one transaction, then settles them and tells listeners, in order. */
  #commit(): void {
    if (!this.#open) return;
    const writes = this.#pending.splice(0, MAX_WRITES_PER_COMMIT);
    if (writes.length === 0) return;
    const outcomes: {write: PendingWrite; changed: boolean}[] = [];
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      for (const write of writes) {
        const changes =
          write.kind === 'insert'
            ? this.#statements.insert.run(write.book.id, write.book.title, write.book.author).changes
            : this.#statements.delete.run(write.id).changes;
        outcomes.push({write, changed: Number(changes) > 0});
      }
      this.#db.exec('COMMIT');
    } catch (error: unknown) {
      // SQLite may have rolled back already (it does on a full disk); either
      // way nothing of this group stays, and the next commit starts clean.
      rollBack(this.#db);
      const code = sqliteResultCode(error);
      if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR') this.#checkpointDue = true;
      const mapped = toStoreError(error);
      const failure = mapped instanceof Error ? mapped : new Error(String(mapped));
      for (const write of writes) write.settle(failure);
      return;
    }
    if (this.#checkpointDue) this.#checkpoint();
    for (const {write, changed} of outcomes) {
      if (write.kind === 'delete') write.settle(undefined, changed);
      else if (!changed) write.settle(new BookExistsError(write.book.id));
      else write.settle(undefined);
    }
    if (outcomes.some(({changed}) => changed)) for (const listener of this.#listeners) listener();
  }

  /**
   * Copies the WAL into the database file after writes failed for want of
   * space and one has now succeeded: the WAL is then reused from its start
   * rather than grown into the space just freed (on a small disk it had
   * taken nearly all of it, and a checkpoint waits for 1,000 pages). After a
   * commit, not before: if the room is too small for it, the checkpoint
   * must not take what the commit needed. PASSIVE never waits for a reader.
   */
  #checkpoint(): void {
    try {
      this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)');
      this.#checkpointDue = false;
    } catch {
      // Still too little room: the next commit that succeeds tries again.
    }
  }

  /**
   * Applies the migrations (migrations/sqlite/) this file has not had, in
   * one transaction, and records the last in `PRAGMA user_version`.
   */
  #migrate(seed: readonly Book[]): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const {user_version: version} = this.#db.prepare('PRAGMA user_version').get() as {user_version: number};
      const migrations = migrationsAfter('sqlite', version);
      // What follows a file: a new catalogue's books, before the change log
      // exists (so its log starts empty), and its id, which cursors carry.
      const after: Record<number, () => void> = {
        1: () => {
          const insert = this.#db.prepare('INSERT INTO books (id, title, author) VALUES (?, ?, ?)');
          for (const book of seed) insert.run(book.id, book.title, book.author);
        },
        2: () => this.#db.prepare('INSERT INTO catalogue (id) VALUES (?)').run(randomUUID()),
      };
      for (const {version: applied, sql} of migrations) {
        this.#db.exec(sql);
        after[applied]?.();
      }
      const last = migrations.at(-1);
      if (last !== undefined) this.#db.exec(`PRAGMA user_version = ${last.version}`);
      this.#db.exec('COMMIT');
    } catch (error: unknown) {
      rollBack(this.#db);
      throw error;
    }
  }
}

/** Ends a failed transaction; if there is none left to end, SQLite already did. */
function rollBack(db: SqliteDatabase): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // No transaction is open: nothing to undo.
  }
}

function lastPositionIn(row: unknown): number {
  return (row as {seq: number} | undefined)?.seq ?? 0;
}

/** A plain Book: node:sqlite's rows have no prototype. */
function toBook({id, title, author}: BookRow): Book {
  return {id, title, author};
}
