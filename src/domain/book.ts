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
  const refused = refusedCharacter(value);
  if (refused !== undefined) return {field, reason: refused};
  return undefined;
}

/**
 * Why `value` holds a character that a book's text may not, or undefined.
 * The reason names the character by code point and never echoes it, so an
 * error message printed on a terminal cannot carry it there.
 *
 * A book must be the same in every store, so text is refused here, before
 * any store sees it, when one store could not keep it as sent:
 * - U+0000: PostgreSQL `text` refuses it (SQLSTATE 22021, which also failed
 *   the other inserts grouped into the same statement), while SQLite stores
 *   it and its SQL functions then stop at it.
 * - A lone surrogate (U+D800 to U+DFFF unpaired): not Unicode text. It cannot
 *   arrive in a protobuf string (the server refuses invalid UTF-8), only from
 *   a caller in this process; PostgreSQL would store U+FFFD in its place,
 *   SQLite (better-sqlite3) three of them, the memory store the surrogate.
 * - The other C0 controls but tab, line feed and carriage return (the set
 *   XML 1.0 also leaves out): every store holds them, but they have no
 *   place in a title or a name, and ESC and its kin would reach the terminal
 *   of everyone who lists or watches the catalogue as escape sequences. Tab
 *   and line breaks are ordinary text (a quoted CSV field may hold a line
 *   break), so they stay allowed. DEL and the C1 controls (U+0080 to U+009F)
 *   are allowed too, as in XML 1.0: UTF-8 terminals do not act on them as
 *   sent here, and they are rare enough in real data not to need a rule.
 * Everything else PostgreSQL takes from a well-formed string, noncharacters
 * such as U+FFFF included, and stores unchanged, as SQLite does.
 */
function refusedCharacter(value: string): string | undefined {
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      return `must not contain control character ${codePointName(code)}`;
    }
    // Iterating by code point yields a surrogate only when it has no partner.
    if (code >= 0xd800 && code <= 0xdfff) {
      return `must be well-formed Unicode: lone surrogate ${codePointName(code)}`;
    }
  }
  return undefined;
}

function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function countCodePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
