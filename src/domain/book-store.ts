import type {Book} from './book.js';
import type {LoggedChange} from './change.js';

/** One page of books in insertion order, and where the next page starts. */
export interface BookPage {
  readonly books: Book[];
  /** Pass as `after` to read on; undefined when there is nothing after this page. */
  readonly next: number | undefined;
}

/** The catalogue as it was at one position of its change log. */
export interface BookSnapshot {
  /** The last change the snapshot includes: the feed continues right after it. */
  readonly position: number;
  /** The snapshot's books in insertion order, `pageSize` at a time; read once. */
  pages(pageSize: number): AsyncIterable<Book[]>;
}

/**
 * Where the catalogue keeps its books: the seam for storage back ends.
 *
 * Async so that a database can stand behind it. A store knows nothing of
 * gRPC or of watchers, and trusts its caller to have validated the books.
 * Positions in pages (`after`, `next`) are the store's own insertion
 * sequence numbers.
 *
 * Every insert and delete is also recorded in a change log, in the same
 * transaction: each committed change takes the next log position, so log
 * positions follow commit order with no gap, and a reader that has seen
 * position N never later finds a change below N.
 */
export interface BookStore {
  /** Identifies this store's data (a database, a schema, a process's memory) in cursors. */
  readonly catalogueId: string;
  /** Up to `limit` books inserted after position `after` (0: from the start). */
  listPage(after: number, limit: number): Promise<BookPage>;
  get(id: number): Promise<Book | undefined>;
  /** Throws BookExistsError if a book already has this id. */
  insert(book: Book): Promise<void>;
  /** Returns false if no book had this id. */
  delete(id: number): Promise<boolean>;
  /**
   * Up to `limit` logged changes after position `after`, oldest first.
   * Throws ChangesTrimmedError when the change right after `after` is no
   * longer kept.
   */
  readChanges(after: number, limit: number): Promise<LoggedChange[]>;
  /** The position of the last committed change (0 before the first). */
  lastPosition(): Promise<number>;
  /** The books as of one position of the log, read without holding writers back. */
  snapshot(): Promise<BookSnapshot>;
  /** Forgets all but the last `keep` changes (at least 1). */
  trimChanges(keep: number): Promise<void>;
  /**
   * Calls `listener` after changes commit: by this process, or by any
   * process that shares the store's database. Only a wake-up: what changed
   * is read from the log.
   */
  onChanges(listener: () => void): void;
  /**
   * Calls `listener` with false when the store's database stops answering,
   * and with true when it answers again. A store in this process's own
   * memory or file never calls it.
   */
  onReachability?(listener: (reachable: boolean) => void): void;
  close(): Promise<void>;
}
