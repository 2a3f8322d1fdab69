import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';
import type {Book} from '../domain/book.js';
import type {BookPage, BookStore} from '../domain/book-store.js';
import {BookExistsError} from '../domain/errors.js';
import {isUniqueViolation, openSqlite, type SqliteDatabase, type SqliteDriverName} from './sqlite-driver.js';

const SCHEMA_VERSION = 1;

interface BookRow {
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

interface PagedRow extends BookRow {
  readonly position: number;
}

/**
 * A BookStore in one SQLite file: durable with nothing to install. Every
 * write is committed (WAL, synchronous=FULL) before it is acknowledged, so an
 * acknowledged book survives `kill -9` and power loss alike.
 *
 * Every statement is prepared once and lives as long as the store.
 */
export class SqliteStore implements BookStore {
  readonly #db: SqliteDatabase;
  readonly #listeners: ((book: Book) => void)[] = [];
  readonly #statements;
  #open = true;

  /** Opens `path`, creating the file with `seed` in it if it is new. */
  constructor(path: string, seed: readonly Book[] = [], driver?: SqliteDriverName) {
    if (path !== ':memory:') mkdirSync(dirname(path), {recursive: true});
    this.#db = openSqlite(path, driver);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
    this.#migrate(seed);
    this.#statements = {
      page: this.#db.prepare('SELECT position, id, title, author FROM books WHERE position > ? ORDER BY position LIMIT ?'),
      get: this.#db.prepare('SELECT id, title, author FROM books WHERE id = ?'),
      insert: this.#db.prepare('INSERT INTO books (id, title, author) VALUES (?, ?, ?)'),
      delete: this.#db.prepare('DELETE FROM books WHERE id = ?'),
    };
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    // One row more than asked tells whether a next page exists.
    const rows = this.#statements.page.all(after, limit + 1) as PagedRow[];
    const page = rows.slice(0, limit);
    return {books: page.map(toBook), next: rows.length > limit ? page.at(-1)?.position : undefined};
  }

  async get(id: number): Promise<Book | undefined> {
    const row = this.#statements.get.get(id) as BookRow | undefined;
    return row === undefined ? undefined : toBook(row);
  }

  async insert(book: Book): Promise<void> {
    try {
      this.#statements.insert.run(book.id, book.title, book.author);
    } catch (error: unknown) {
      if (isUniqueViolation(error)) throw new BookExistsError(book.id);
      throw error;
    }
    for (const listener of this.#listeners) listener(book);
  }

  async delete(id: number): Promise<boolean> {
    return Number(this.#statements.delete.run(id).changes) > 0;
  }

  onInsert(listener: (book: Book) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#db.close();
  }

  #migrate(seed: readonly Book[]): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const {user_version: version} = this.#db.prepare('PRAGMA user_version').get() as {user_version: number};
      if (version < SCHEMA_VERSION) {
        // `position` orders List and pages; AUTOINCREMENT never reuses one, so a
        // page token stays valid across deletes.
        this.#db.exec(`CREATE TABLE books (
          position INTEGER PRIMARY KEY AUTOINCREMENT,
          id INTEGER NOT NULL UNIQUE,
          title TEXT NOT NULL,
          author TEXT NOT NULL
        )`);
        const insert = this.#db.prepare('INSERT INTO books (id, title, author) VALUES (?, ?, ?)');
        for (const book of seed) insert.run(book.id, book.title, book.author);
        this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      }
      this.#db.exec('COMMIT');
    } catch (error: unknown) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** A plain Book: node:sqlite's rows have no prototype. */
function toBook({id, title, author}: BookRow): Book {
  return {id, title, author};
}
