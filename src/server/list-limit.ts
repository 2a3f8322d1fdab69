import {ServerError, Status} from 'nice-grpc';
import type {Book} from '../domain/book.js';
import {MAX_PAGE_SIZE, type Catalogue} from '../domain/catalogue.js';

/** gRPC clients' default limit on a received message: what List can answer. */
export const LIST_MESSAGE_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Every book for List, read a page at a time. Throws RESOURCE_EXHAUSTED as
 * soon as they no longer fit in one response, rather than sending a message
 * the workshop's clients reject with a less helpful error of their own, and
 * without first reading a catalogue of any size into memory.
 */
export async function listWithinLimit(catalogue: Catalogue): Promise<Book[]> {
  const books: Book[] = [];
  let size = 0;
  let pageToken = '';
  do {
    const page = await catalogue.listPage(MAX_PAGE_SIZE, pageToken);
    for (const book of page.books) {
      size += lengthDelimitedSize(bookSize(book));
      if (size > LIST_MESSAGE_LIMIT_BYTES) {
        throw new ServerError(
          Status.RESOURCE_EXHAUSTED,
          `the catalogue is larger than List's ${LIST_MESSAGE_LIMIT_BYTES}-byte limit (past ${books.length} books); page through it with ListBooks`,
        );
      }
      books.push(book);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return books;
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
