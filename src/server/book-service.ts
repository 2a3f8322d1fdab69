import type {CallContext, ServiceImplementation} from 'nice-grpc';
import type {Catalogue} from '../domain/catalogue.js';
import {type BookServiceServerDefinition, toWatchChangesResponse} from './book-service-definition.js';
import {unaryMethods} from './unary-methods.js';

/** books.BookService, method for method as in proto/books/books.proto. */
export function createBookService(catalogue: Catalogue): ServiceImplementation<typeof BookServiceServerDefinition> {
  return {
    ...unaryMethods(catalogue),

    async *watch(_request, context: CallContext) {
      const books = catalogue.watch(context.signal);
      // Headers tell the client the watch is registered: every insert from
      // now on reaches it. nice-grpc sends no empty header, hence the entry.
      context.header.set('books-watch', 'registered');
      context.sendHeader();
      yield* books;
    },

    async *watchChanges({afterCursor, includeExisting}, context: CallContext) {
      // A refusal (a bad cursor, too many watchers or snapshots) is the call's
      // status at once, with no headers before it.
      const batches = await catalogue.changes({afterCursor, includeExisting}, context.signal);
      // Headers tell the client the call was accepted, before a snapshot's first page is read.
      context.sendHeader();
      for await (const batch of batches) yield toWatchChangesResponse(batch);
    },
  };
}
