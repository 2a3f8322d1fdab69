import {randomUUID} from 'node:crypto';
import type {Book} from '../domain/book.js';
import type {BookPage, BookSnapshot, BookStore} from '../domain/book-store.js';
import type {ChangeKind, LoggedChange} from '../domain/change.js';
import {BookExistsError, ChangesTrimmedError} from '../domain/errors.js';

interface Entry {
  readonly position: number;
  readonly book: Book;
  /** The change log position of its insert (0 for a seed book) and of its deletion. */
  readonly createdAt: number;
  deletedAt: number | undefined;
}

/** A BookStore in memory, for tests and throwaway runs: a restart forgets everything. */
export class MemoryStore implements BookStore {
  /** Each process's memory is a catalogue of its own. */
  readonly catalogueId = randomUUID();
  readonly #byId = new Map<number, Entry>();
  /**
   * Entries by ascending position, so a page is a binary search away.
   * Compaction replaces the array rather than changing it, so a snapshot
   * keeps reading the one it started with.
   */
  #ordered: Entry[] = [];
  #removed = 0;
  #lastPosition = 0;
  /** The change log: `#changes[i]` is at position `#trimmed + 1 + i`. */
  #changes: LoggedChange[] = [];
  #trimmed = 0;
  readonly #listeners: (() => void)[] = [];

  constructor(seed: readonly Book[] = []) {
    for (const book of seed) this.#add(book, 0);
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    const books: Book[] = [];
    let last = after;
    for (let i = this.#firstAfter(after); i < this.#ordered.length; i++) {
      const entry = this.#ordered[i];
      if (entry === undefined || entry.deletedAt !== undefined) continue;
      // One more book exists beyond a full page: there is a next page.
      if (books.length === limit) return {books, next: last};
      books.push(entry.book);
      last = entry.position;
    }
    return {books, next: undefined};
  }

  async get(id: number): Promise<Book | undefined> {
    return this.#byId.get(id)?.book;
  }

  async insert(book: Book): Promise<void> {
    if (this.#byId.has(book.id)) throw new BookExistsError(book.id);
    this.#add(book, this.#log('created', book));
    this.#notify();
  }

  async delete(id: number): Promise<boolean> {
    const entry = this.#byId.get(id);
    if (entry === undefined) return false;
    this.#byId.delete(id);
    entry.deletedAt = this.#log('deleted', entry.book);
    if (++this.#removed > 1024 && this.#removed * 2 > this.#ordered.length) {
      this.#ordered = this.#ordered.filter((kept) => kept.deletedAt === undefined);
      this.#removed = 0;
    }
    this.#notify();
    return true;
  }

  async readChanges(after: number, limit: number): Promise<LoggedChange[]> {
    if (after < this.#trimmed) throw new ChangesTrimmedError(this.#trimmed);
    const start = after - this.#trimmed;
    return this.#changes.slice(start, start + limit);
  }

  async lastPosition(): Promise<number> {
    return this.#trimmed + this.#changes.length;
  }

  async snapshot(): Promise<BookSnapshot> {
    const position = await this.lastPosition();
    const ordered = this.#ordered;
    return {
      position,
      async *pages(pageSize) {
        let page: Book[] = [];
        for (const entry of ordered) {
          const present = entry.createdAt <= position && (entry.deletedAt === undefined || entry.deletedAt > position);
          if (!present) continue;
          page.push(entry.book);
          if (page.length === pageSize) {
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      },
    };
  }

  async trimChanges(keep: number): Promise<void> {
    const excess = this.#changes.length - Math.max(keep, 1);
    if (excess <= 0) return;
    this.#changes = this.#changes.slice(excess);
    this.#trimmed += excess;
  }

  onChanges(listener: () => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {}

  /** Appends a change to the log and returns its position. */
  #log(kind: ChangeKind, book: Book): number {
    const position = this.#trimmed + this.#changes.length + 1;
    this.#changes.push({kind, book, position});
    return position;
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #add(book: Book, createdAt: number): void {
    const entry: Entry = {position: ++this.#lastPosition, book, createdAt, deletedAt: undefined};
    this.#byId.set(book.id, entry);
    this.#ordered.push(entry);
  }

  #firstAfter(position: number): number {
    let low = 0;
    let high = this.#ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = this.#ordered[middle];
      if (entry !== undefined && entry.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
