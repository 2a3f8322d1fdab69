import type {Book} from './book.js';

/** What happened to a book. */
export type ChangeKind = 'created' | 'deleted';

/** A committed change as a store's change log records it. */
export interface LoggedChange {
  readonly kind: ChangeKind;
  /** The book as inserted; for a deletion, the book as it was. */
  readonly book: Book;
  /** Its place in the log: the next one after the previous commit's, so gaps never occur. */
  readonly position: number;
}

/** A change as watchers see it: with the cursor that resumes right after it. */
export interface Change extends LoggedChange {
  /** Empty for a book of a snapshot, which no cursor can resume inside. */
  readonly cursor: string;
}

/** What a change feed sends at once: changes in commit order, and where to resume after them. */
export interface ChangeBatch {
  /** Empty in a heartbeat. */
  readonly changes: readonly Change[];
  /** Resume point after the last change here, or the feed's position in a heartbeat; empty inside a snapshot. */
  readonly cursor: string;
}
