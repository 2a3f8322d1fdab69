import {InvalidArgumentError} from './errors.js';

/** A book of the catalogue: the domain's own type, free of generated code. */
export interface Book {
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

/** Longest title or author accepted, in characters (Unicode code points). */
export const MAX_TEXT_LENGTH = 256;

/** Largest id the wire contract can carry (proto `int32`). */
export const MAX_BOOK_ID = 2_147_483_647;

/** Throws InvalidArgumentError unless `id` is a positive int32. */
export function validateBookId(id: number): void {
  if (!Number.isInteger(id) || id <= 0 || id > MAX_BOOK_ID) {
    throw new InvalidArgumentError('id', `must be a positive 32-bit integer, got ${id}`);
  }
}

/** Throws InvalidArgumentError naming the first field that breaks the rules. */
export function validateBook(book: Book): void {
  validateBookId(book.id);
  validateText('title', book.title);
  validateText('author', book.author);
}

function validateText(field: string, value: string): void {
  if (value.trim() === '') {
    throw new InvalidArgumentError(field, 'must not be empty or blank');
  }
  // Cheap check first: a string of n UTF-16 units has at most n code points.
  if (value.length > MAX_TEXT_LENGTH && countCodePoints(value) > MAX_TEXT_LENGTH) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_TEXT_LENGTH} characters`);
  }
}

function countCodePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
