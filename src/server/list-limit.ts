import type {Book} from '../domain/book.js';
import {MAX_PAGE_SIZE, type Catalogue} from '../domain/catalogue.js';
import {ListTooLargeError} from '../domain/errors.js';

/** gRPC clients' default limit on a received message: what List can answer. */
export const LIST_MESSAGE_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Every book for List, read a page at a time. Throws ListTooLargeError
 * (RESOURCE_EXHAUSTED) as soon as they no longer fit in one response, rather than sending a message
 * the workshop's clients reject with a less helpful error of their own, and
 * without first reading a catalogue of any size into memory.
 */
export async function listWithinLimit(catalogue: Catalogue): Promise<Book[]> {
  const books: Book[] = [];
  // A bound until the bound reaches the limit, then the exact size: a
  // catalogue far below the limit needs no string's UTF-8 length measured.
  let size = 0;
  let exact = false;
  let pageToken = '';
  do {
    const page = await catalogue.listPage(MAX_PAGE_SIZE, pageToken);
    for (const book of page.books) {
      size += exact ? entrySize(book) : entrySizeBound(book);
      if (!exact && size > LIST_MESSAGE_LIMIT_BYTES) {
        exact = true;
        size = books.reduce((sum, listed) => sum + entrySize(listed), entrySize(book));
      }
      if (size > LIST_MESSAGE_LIMIT_BYTES) {
        throw new ListTooLargeError(LIST_MESSAGE_LIMIT_BYTES, books.length);
      }
      books.push(book);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return books;
}

// Protobuf sizes, field by field, to avoid encoding the whole list twice.

/** The bytes a book takes in BookList: its tag, its length, the book. */
function entrySize({id, title, author}: Book): number {
  return lengthDelimitedSize((id === 0 ? 0 : 1 + varintSize(id)) + stringSize(title) + stringSize(author));
}

/**
 * At least entrySize: a UTF-16 code unit is at most 3 bytes of UTF-8, an
 * int32 at most 10, and a length of under 2^21 bytes at most 3.
 */
function entrySizeBound({title, author}: Book): number {
  return 1 + 3 + (1 + 10) + (1 + 3 + 3 * title.length) + (1 + 3 + 3 * author.length);
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
