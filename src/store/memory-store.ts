import type {Book} from '../domain/book.js';
import type {BookPage, BookStore} from '../domain/book-store.js';
import {BookExistsError} from '../domain/errors.js';

interface Entry {
  readonly position: number;
  readonly book: Book;
  removed: boolean;
}

/** A BookStore in memory, for tests and throwaway runs: a restart forgets everything. */
export class MemoryStore implements BookStore {
  readonly #byId = new Map<number, Entry>();
  /** Entries by ascending position, so a page is a binary search away. */
  #ordered: Entry[] = [];
  #removed = 0;
  #lastPosition = 0;
  readonly #listeners: ((book: Book) => void)[] = [];

  constructor(seed: readonly Book[] = []) {
    for (const book of seed) this.#add(book);
  }

  async listPage(after: number, limit: number): Promise<BookPage> {
    const books: Book[] = [];
    let last = after;
    for (let i = this.#firstAfter(after); i < this.#ordered.length; i++) {
      const entry = this.#ordered[i]!;
      if (entry.removed) continue;
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
    this.#add(book);
    for (const listener of this.#listeners) listener(book);
  }

  async delete(id: number): Promise<boolean> {
    const entry = this.#byId.get(id);
    if (entry === undefined) return false;
    this.#byId.delete(id);
    entry.removed = true;
    if (++this.#removed > 1024 && this.#removed * 2 > this.#ordered.length) {
      this.#ordered = this.#ordered.filter((kept) => !kept.removed);
      this.#removed = 0;
    }
    return true;
  }

  onInsert(listener: (book: Book) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {}

  #add(book: Book): void {
    const entry = {position: ++this.#lastPosition, book, removed: false};
    this.#byId.set(book.id, entry);
    this.#ordered.push(entry);
  }

  #firstAfter(position: number): number {
    let low = 0;
    let high = this.#ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#ordered[middle]!.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
