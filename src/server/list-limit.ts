import {ServerError, Status} from 'nice-grpc';
import type {Book} from '../domain/book.js';

/** gRPC clients' default limit on a received message: what List can answer. */
export const LIST_MESSAGE_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Throws RESOURCE_EXHAUSTED when the catalogue no longer fits in one List
 * response, rather than sending a message the workshop's clients reject with
 * a less helpful error of their own.
 */
export function assertListFits(books: readonly Book[]): void {
  let size = 0;
  for (const book of books) size += lengthDelimitedSize(bookSize(book));
  if (size > LIST_MESSAGE_LIMIT_BYTES) {
    throw new ServerError(
      Status.RESOURCE_EXHAUSTED,
      `the catalogue (${books.length} books, ${size} bytes) is larger than List's ${LIST_MESSAGE_LIMIT_BYTES}-byte limit; page through it with ListBooks`,
    );
  }
}

// Protobuf sizes, field by field, to avoid encoding the whole list twice.
function bookSize({id, title, author}: Book): number {
  return (id === 0 ? 0 : 1 + varintSize(id)) + stringSize(title) + stringSize(author);
}

function stringSize(text: string): number {
  return text === '' ? 0 : lengthDelimitedSize(Buffer.byteLength(text));
}

function lengthDelimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function varintSize(value: number): number {
  if (value < 0) return 10; // negative int32 are sign-extended to 64 bits
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
