import {validateBook, validateBookId, type Book} from './book.js';
import type {BookStore} from './book-store.js';
import {BookNotFoundError} from './errors.js';
import type {Subscription} from './subscription.js';
import type {WatchHub} from './watch-hub.js';

/**
 * The book catalogue: validates requests, keeps books in a BookStore and
 * tells watchers about each insert. Throws only the domain's errors.
 */
export class Catalogue {
  constructor(
    readonly store: BookStore,
    readonly hub: WatchHub<Book>,
  ) {}

  list(): Promise<Book[]> {
    return this.store.list();
  }

  async get(id: number): Promise<Book> {
    validateBookId(id);
    const book = await this.store.get(id);
    if (book === undefined) throw new BookNotFoundError(id);
    return book;
  }

  async insert(book: Book): Promise<void> {
    validateBook(book);
    await this.store.insert(book);
    // Published only once stored: a watcher never sees a book that List lacks.
    this.hub.publish(book);
  }

  async delete(id: number): Promise<void> {
    validateBookId(id);
    if (!(await this.store.delete(id))) throw new BookNotFoundError(id);
  }

  /** Every book inserted from now on, until `signal` aborts. */
  watch(signal: AbortSignal): Subscription<Book> {
    return this.hub.subscribe(signal);
  }
}
