import type {Book} from './book.js';
import type {BookStore} from './book-store.js';
import {BookExistsError} from './errors.js';

/** A BookStore in a Map: a Map iterates in insertion order, as List must. */
export class MemoryStore implements BookStore {
  readonly #books = new Map<number, Book>();

  constructor(seed: readonly Book[] = []) {
    for (const book of seed) this.#books.set(book.id, book);
  }

  async list(): Promise<Book[]> {
    return [...this.#books.values()];
  }

  async get(id: number): Promise<Book | undefined> {
    return this.#books.get(id);
  }

  async insert(book: Book): Promise<void> {
    if (this.#books.has(book.id)) throw new BookExistsError(book.id);
    this.#books.set(book.id, book);
  }

  async delete(id: number): Promise<boolean> {
    return this.#books.delete(id);
  }

  async close(): Promise<void> {}
}
