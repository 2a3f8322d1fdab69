import {mkdirSync} from 'node:fs';
import {dirname} from 'node:path';
import Database from 'better-sqlite3';
import type {Book} from '../domain/book.js';
import type {BookPage, BookStore} from '../domain/book-store.js';
import {BookExistsError} from '../domain/errors.js';

const SCHEMA_VERSION = 1;

interface PagedRow extends Book {
  readonly position: number;
}

/**
 * A BookStore in one SQLite file: durable with nothing to install. Every
 * write is committed (WAL, synchronous=FULL) before it is acknowledged, so an
 * acknowledged book survives `kill -9` and power loss alike.
 */
export class SqliteStore implements BookStore {
  readonly #db: Database.Database;
  readonly #listeners: ((book: Book) => void)[] = [];
  readonly #statements;

  /** Opens `path`, creating the file with `seed` in it if it is new. */
  constructor(path: string, seed: readonly Book[] = []) {
    if (path !== ':memory:') mkdirSync(dirname(path), {recursive: true});
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate(seed);
    this.#statements = {
      list: this.#db.prepare<[], Book>('SELECT id, title, author FROM books ORDER BY position'),
      page: this.#db.prepare<[number, number], PagedRow>(
        'SELECT position, id, title, author FROM books WHERE position > ? ORDER BY position LIMIT ?',
      ),
      get: this.#db.prepare<[number], Book>('SELECT id, title, author FROM books WHERE id = ?'),
      insert: this.#db.prepare<[number, string, string]>('INSERT INTO books (id, title, author) VALUES (?, ?, ?)'),
      delete: this.#db.prepare<[number]>('DELETE FROM books WHERE id = ?'),
    };
  }

  async list(): Promise<Book[]> {
    return this.#statements.list.all();
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    // One row more than asked tells whether a next page exists.
    const rows = this.#statements.page.all(after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      books: page.map(({id, title, author}) => ({id, title, author})),
      next: rows.length > limit ? page.at(-1)?.position : undefined,
    };
  }

  async get(id: number): Promise<Book | undefined> {
    return this.#statements.get.get(id);
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
    return this.#statements.delete.run(id).changes > 0;
  }

  onInsert(listener: (book: Book) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #migrate(seed: readonly Book[]): void {
    const migrate = this.#db.transaction(() => {
      const version = this.#db.pragma('user_version', {simple: true}) as number;
      if (version >= SCHEMA_VERSION) return;
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
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
    migrate.immediate();
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
