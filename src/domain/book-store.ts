import type {Book} from './book.js';

/**
 * Where the catalogue keeps its books: the seam for storage back ends.
 *
 * Async so that a database can stand behind it. A store knows nothing of
 * gRPC or of watchers, and trusts its caller to have validated the books.
 */
export interface BookStore {
  /** Every book, in insertion order. */
  list(): Promise<Book[]>;
  get(id: number): Promise<Book | undefined>;
  /** Throws BookExistsError if a book already has this id. */
  insert(book: Book): Promise<void>;
  /** Returns false if no book had this id. */
  delete(id: number): Promise<boolean>;
  close(): Promise<void>;
}
