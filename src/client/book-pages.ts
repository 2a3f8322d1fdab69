import {ClientError, Status} from 'nice-grpc';
import type {Book} from '../gen/books/books.js';
import type {BooksClient} from './client.js';

/** Books per ListBooks call: large enough to be quick, small enough to stay far from message limits. */
export const PAGE_SIZE = 1000;

/**
 * Every book, a page at a time, through ListBooks: memory stays bounded
 * however large the catalogue. A server without ListBooks (the workshop's own
 * answer UNIMPLEMENTED) is read with List instead, in one page.
 */
export async function* bookPages(client: BooksClient, signal?: AbortSignal): AsyncGenerator<Book[]> {
  let pageToken = '';
  try {
    const first = await client.listBooks({pageSize: PAGE_SIZE}, {signal});
    yield first.books;
    pageToken = first.nextPageToken;
  } catch (error: unknown) {
    if (!(error instanceof ClientError && error.code === Status.UNIMPLEMENTED)) throw error;
    yield (await client.list({}, {signal})).books;
    return;
  }
  while (pageToken !== '') {
    const page = await client.listBooks({pageSize: PAGE_SIZE, pageToken}, {signal});
    yield page.books;
    pageToken = page.nextPageToken;
  }
}
