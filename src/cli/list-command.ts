import {bookPages} from '../client/book-pages.js';
import type {BooksClient} from '../client/client.js';
import type {Book} from '../gen/books/books.js';
import type {CliIo} from './cli-io.js';
import type {GlobalOptions} from './options.js';
import {formatBookList, formatBookListEnd, formatBookListItem, formatBookListStart} from './print.js';

/** Prints the catalogue: the workshop client's output when it fits one page, else page by page. */
export async function list(client: BooksClient, io: CliIo, options: GlobalOptions): Promise<void> {
  const pages = bookPages(client)[Symbol.asyncIterator]();
  const first = await pages.next();
  const second = await pages.next();
  if (second.done) {
    // The whole catalogue in one page: exactly the workshop client's output.
    await io.stdout(formatBookList({books: first.done ? [] : first.value}, options.json));
    return;
  }
  // More than a page: print as pages arrive, so memory stays bounded.
  await io.stdout(formatBookListStart(options.json));
  let count = 0;
  const print = async (page: Book[]): Promise<void> => {
    for (const book of page) await io.stdout(formatBookListItem(book, count++, options.json));
  };
  await print(first.done ? [] : first.value);
  await print(second.value);
  for (let next = await pages.next(); !next.done; next = await pages.next()) await print(next.value);
  await io.stdout(formatBookListEnd(count, options.json));
}
