import {validateBook, validateBookId, type Book} from './book.js';
import type {BookStore} from './book-store.js';
import {BookNotFoundError, InvalidArgumentError} from './errors.js';
import {decodePageToken, encodePageToken} from './page-token.js';
import type {Subscription} from './subscription.js';
import type {WatchHub} from './watch-hub.js';

/** Page size when the client asks for none (AIP-158 lets the server choose). */
export const DEFAULT_PAGE_SIZE = 100;
/** Larger requested pages are cut to this, as AIP-158 prescribes. */
export const MAX_PAGE_SIZE = 1000;

export interface CataloguePage {
  readonly books: Book[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
}

/**
 * The book catalogue: validates requests, keeps books in a BookStore and
 * tells watchers about each insert. Throws only the domain's errors.
 */
export class Catalogue {
  constructor(
    readonly store: BookStore,
    readonly hub: WatchHub<Book>,
  ) {
    // Watchers hear of inserts from the store, once committed: with a shared
    // database that includes inserts made by other server processes.
    store.onInsert((book) => hub.publish(book));
  }

  async listPage(pageSize: number, pageToken: string): Promise<CataloguePage> {
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      throw new InvalidArgumentError('page_size', `must not be negative, got ${pageSize}`);
    }
    const after = decodePageToken(pageToken);
    const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    const page = await this.store.listPage(after, limit);
    return {books: page.books, nextPageToken: page.next === undefined ? '' : encodePageToken(page.next)};
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
