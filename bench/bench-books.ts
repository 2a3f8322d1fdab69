import {SEED_BOOKS} from '../src/domain/seed-books.js';
import type {Book} from './wire/book-methods.js';

// The books the harness sends, and the send time that the watch cases
// carry in each book's title.

/** The book Get asks for: the seed book that both servers start with. */
export const GET_ID = SEED_BOOKS[0].id;

/** How many books List returns in the List cases (the seed book included). */
export const LIST_SIZE = 100;

/** A book of the usual size, titled like a real one. */
export function benchBook(id: number): Book {
  return {id, title: `Bench Book ${id}`, author: 'Bench Author'};
}

/**
 * Microseconds on the machine's monotonic clock (CLOCK_MONOTONIC, which
 * process.hrtime reads), so that a time taken in one process can be
 * subtracted from one taken in another on the same machine.
 */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const STAMP_PREFIX = 'sent at ';

/** A book whose title says when it was sent, for delivery latency. */
export function stampedBook(id: number, sentMicros: number): Book {
  return {id, title: `${STAMP_PREFIX}${sentMicros}`, author: 'Bench Author'};
}

/** The send time in a stamped title, or NaN if it carries none. */
export function sentMicrosOf(book: Book): number {
  return book.title.startsWith(STAMP_PREFIX) ? Number(book.title.slice(STAMP_PREFIX.length)) : Number.NaN;
}
