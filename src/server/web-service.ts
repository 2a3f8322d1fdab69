import {setImmediate as nextTurn} from 'node:timers/promises';
import type {HandlerContext, ServiceImpl} from '@connectrpc/connect';
import type {Catalogue} from '../domain/catalogue.js';
import type {Change} from '../domain/change.js';
import {type BookService, ChangeType} from '../gen/es/books/books_pb.js';
import {unaryMethods} from './unary-methods.js';

/**
 * books.BookService for the web port (gRPC-Web and Connect), method for
 * method as book-service.ts serves it over gRPC: the same Catalogue, the
 * messages as protobuf-es wants them. Auth, errors, logs and shutdown are
 * web-calls.ts's, as call-middleware.ts's for gRPC.
 */
export function createWebService(catalogue: Catalogue): ServiceImpl<typeof BookService> {
  return {
    ...unaryMethods(catalogue),

    async *watch(_request, context: HandlerContext) {
      const books = catalogue.watch(context.signal);
      context.responseHeader.set('books-watch', 'registered');
      yield* books;
    },

    async *watchChanges({afterCursor, includeExisting}, context: HandlerContext) {
      const batches = await catalogue.changes({afterCursor, includeExisting}, context.signal);
      for await (const {changes, cursor} of batches) {
        yield {changes: changes.map(toBookChange), cursor};
        // connect-node asks for the next message as soon as this one is
        // buffered, so a watcher that keeps up would be sent every change
        // alone: a message, a write and a system call per change per watcher.
        // Asking one turn of the event loop later lets the changes committed
        // meanwhile go out together, the more of them the busier the server.
        await nextTurn();
      }
    },
  };
}

const CHANGE_TYPES = {created: ChangeType.CREATED, deleted: ChangeType.DELETED} as const;

function toBookChange({kind, book, cursor}: Change): {type: ChangeType; book: Change['book']; cursor: string} {
  return {type: CHANGE_TYPES[kind], book, cursor};
}
