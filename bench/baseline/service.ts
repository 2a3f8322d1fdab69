import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerErrorResponse,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type {Book, BookIdRequest, BookList, Empty} from '../wire/book-methods.js';

/**
 * books.BookService as directly as @grpc/grpc-js allows: a Map, a Set of
 * open watches, the contract's validation and status codes, no middleware.
 * It is the floor the product server is measured against, so it does only
 * what the contract requires.
 */
export function createBaselineService(seed: readonly Book[]): UntypedServiceImplementation {
  const books = new Map<number, Book>(seed.map((book) => [book.id, book]));
  const watchers = new Set<ServerWritableStream<Empty, Book>>();

  return {
    list(_call: ServerUnaryCall<Empty, BookList>, done: sendUnaryData<BookList>) {
      done(null, {books: [...books.values()]});
    },

    insert(call: ServerUnaryCall<Book, Empty>, done: sendUnaryData<Empty>) {
      const book = call.request;
      const invalid = invalidField(book);
      if (invalid !== undefined) return done(failure(status.INVALID_ARGUMENT, invalid));
      if (books.has(book.id)) return done(failure(status.ALREADY_EXISTS, `book ${book.id} already exists`));
      books.set(book.id, book);
      for (const watcher of watchers) watcher.write(book);
      done(null, {});
    },

    get(call: ServerUnaryCall<BookIdRequest, Book>, done: sendUnaryData<Book>) {
      const {id} = call.request;
      if (id <= 0) return done(failure(status.INVALID_ARGUMENT, 'id must be positive'));
      const book = books.get(id);
      if (book === undefined) return done(failure(status.NOT_FOUND, `book ${id} not found`));
      done(null, book);
    },

    delete(call: ServerUnaryCall<BookIdRequest, Empty>, done: sendUnaryData<Empty>) {
      const {id} = call.request;
      if (id <= 0) return done(failure(status.INVALID_ARGUMENT, 'id must be positive'));
      if (!books.delete(id)) return done(failure(status.NOT_FOUND, `book ${id} not found`));
      done(null, {});
    },

    watch(call: ServerWritableStream<Empty, Book>) {
      watchers.add(call);
      const forget = (): void => void watchers.delete(call);
      call.on('cancelled', forget);
      call.on('close', forget);
      // Like the product server: headers say the watch is registered.
      const header = new Metadata();
      header.set('books-watch', 'registered');
      call.sendMetadata(header);
    },
  };
}

function invalidField(book: Book): string | undefined {
  if (book.id <= 0) return 'id must be positive';
  for (const field of ['title', 'author'] as const) {
    const text = book[field];
    if (text.trim() === '') return `${field} must not be empty or blank`;
    if (text.length > 256 && [...text].length > 256) return `${field} must be at most 256 characters`;
  }
  return undefined;
}

function failure(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), {code, details});
}
