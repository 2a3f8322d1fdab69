import {validateBook, validateBookId, type Book} from './book.js';
import type {BookStore} from './book-store.js';
import type {Change, ChangeBatch} from './change.js';
import {BookNotFoundError, InvalidArgumentError, rejectViolations, type FieldViolation} from './errors.js';
import {ChangeFeed, type ChangesRequest, type FeedOptions, type WatchHub} from './feed/index.js';
import {decodePageToken, encodePageToken} from './page-token.js';

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
 * The book catalogue: validates requests, keeps books in a BookStore, and
 * feeds every committed change to its watchers. Throws only the domain's
 * errors.
 */
export class Catalogue {
  /**
   * Opens the catalogue of `store`. Its change feed starts at the store's
   * last logged change; the store wakes the feed after each commit.
   */
  static async open(store: BookStore, options: FeedOptions): Promise<Catalogue> {
    return new Catalogue(store, await ChangeFeed.open(store, options));
  }

  constructor(
    readonly store: BookStore,
    readonly feed: ChangeFeed,
  ) {}

  /** Stops feeding watchers; the store stays open. */
  close(): void {
    this.feed.close();
  }

  get hub(): WatchHub<Change> {
    return this.feed.hub;
  }

  async listPage(pageSize: number, pageToken: string): Promise<CataloguePage> {
    // Both fields are checked, so that a client hears of every bad one at once.
    const violations: FieldViolation[] = [];
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      violations.push({field: 'page_size', reason: `must not be negative, got ${pageSize}`});
    }
    let after = 0;
    try {
      after = decodePageToken(pageToken);
    } catch (error: unknown) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      violations.push(...error.violations);
    }
    rejectViolations(violations);
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

  /** Every book inserted from now on, until `signal` aborts: registered before this returns. */
  watch(signal: AbortSignal): AsyncGenerator<Book, void, undefined> {
    return this.feed.watch(signal);
  }

  /** Every change in commit order, as batches, until `signal` aborts: see ChangeFeed.changes. */
  changes(request: ChangesRequest, signal: AbortSignal): Promise<AsyncGenerator<ChangeBatch, void, undefined>> {
    return this.feed.changes(request, signal);
  }
}
