#!/usr/bin/env node
import {parseArgs} from 'node:util';
import {createServer, ServerError, Status, type ServiceImplementation} from 'nice-grpc';
import {type Book, BookServiceDefinition} from '../../src/gen/books/books.js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';

// books.BookService written the straightforward nice-grpc way: the generated
// definition as it is, a Map, errors thrown as ServerError, no middleware.
// The bench's `overhead` suite measures the product against it, to tell the
// cost of nice-grpc itself (this server pays it too) from the product's own.

const {values} = parseArgs({
  options: {
    host: {type: 'string', default: '127.0.0.1'},
    port: {type: 'string', default: '0'},
    'log-level': {type: 'string'},
  },
});

const books = new Map<number, Book>(SEED_BOOKS.map((book) => [book.id, book]));
const watchers = new Set<(book: Book) => void>();

function checked(book: Book): Book {
  if (book.id <= 0) throw new ServerError(Status.INVALID_ARGUMENT, 'id must be positive');
  for (const field of ['title', 'author'] as const) {
    if (book[field].trim() === '')
      throw new ServerError(Status.INVALID_ARGUMENT, `${field} must not be empty or blank`);
  }
  return book;
}

const service: ServiceImplementation<typeof BookServiceDefinition> = {
  async list() {
    return {books: [...books.values()]};
  },
  async insert(request) {
    const book = checked(request);
    if (books.has(book.id)) throw new ServerError(Status.ALREADY_EXISTS, `book ${book.id} already exists`);
    books.set(book.id, book);
    for (const notify of watchers) notify(book);
    return {};
  },
  async get({id}) {
    const book = books.get(id);
    if (book === undefined) throw new ServerError(Status.NOT_FOUND, `book ${id} not found`);
    return book;
  },
  async delete({id}) {
    if (!books.delete(id)) throw new ServerError(Status.NOT_FOUND, `book ${id} not found`);
    return {};
  },
  async *watch(_request, context) {
    const queue: Book[] = [];
    let wake: (() => void) | undefined;
    const notify = (book: Book): void => {
      queue.push(book);
      wake?.();
    };
    watchers.add(notify);
    context.header.set('books-watch', 'registered');
    context.sendHeader();
    try {
      while (!context.signal.aborted) {
        const book = queue.shift();
        if (book !== undefined) yield book;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      watchers.delete(notify);
    }
  },
  async listBooks() {
    throw new ServerError(Status.UNIMPLEMENTED, 'not in this reference server');
  },
  // nice-grpc calls a streaming method inside its own async generator, so a throw here ends the call with this status.
  watchChanges() {
    throw new ServerError(Status.UNIMPLEMENTED, 'not in this reference server');
  },
};

const server = createServer();
server.add(BookServiceDefinition, service);
const port = await server.listen(`${values.host}:${values.port}`);
process.stdout.write(`${JSON.stringify({level: 'info', msg: 'listening', address: `${values.host}:${port}`})}\n`);
const stop = (): void => {
  server.forceShutdown();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
