import {rejectViolations, type FieldViolation} from './errors.js';

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
  rejectViolations([idViolation(id)]);
}

/** Throws InvalidArgumentError naming every field that breaks the rules. */
export function validateBook(book: Book): void {
  rejectViolations([idViolation(book.id), textViolation('title', book.title), textViolation('author', book.author)]);
}

function idViolation(id: number): FieldViolation | undefined {
  if (Number.isInteger(id) && id > 0 && id <= MAX_BOOK_ID) return undefined;
  return {field: 'id', reason: `must be a positive 32-bit integer, got ${id}`};
}

function textViolation(field: string, value: string): FieldViolation | undefined {
  if (value.trim() === '') return {field, reason: 'must not be empty or blank'};
  // Cheap check first: a string of n UTF-16 units has at most n code points.
  if (value.length > MAX_TEXT_LENGTH && countCodePoints(value) > MAX_TEXT_LENGTH) {
    return {field, reason: `must be at most ${MAX_TEXT_LENGTH} characters`};
  }
  return undefined;
}

function countCodePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
