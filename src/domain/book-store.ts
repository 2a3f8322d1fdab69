import type {Book} from './book.js';

/** One page of books in insertion order, and where the next page starts. */
export interface BookPage {
  readonly books: Book[];
  /** Pass as `after` to read on; undefined when there is nothing after this page. */
  readonly next: number | undefined;
}

/**
 * Where the catalogue keeps its books: the seam for storage back ends.
 *
 * Async so that a database can stand behind it. A store knows nothing of
 * gRPC or of watchers, and trusts its caller to have validated the books.
 * Positions (`after`, `next`) are the store's own insertion sequence numbers.
 */
export interface BookStore {
  /** Up to `limit` books inserted after position `after` (0: from the start). */
  listPage(after: number, limit: number): Promise<BookPage>;
  get(id: number): Promise<Book | undefined>;
  /** Throws BookExistsError if a book already has this id. */
  insert(book: Book): Promise<void>;
  /** Returns false if no book had this id. */
  delete(id: number): Promise<boolean>;
  /**
   * Calls `listener` with every book inserted from now on, in commit order:
   * by this process, or by any process that shares the store's database.
   */
  onInsert(listener: (book: Book) => void): void;
  close(): Promise<void>;
}
