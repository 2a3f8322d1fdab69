import type {CallContext, ServiceImplementation} from 'nice-grpc';
import type {Catalogue} from '../domain/catalogue.js';
import type {Change, ChangeBatch} from '../domain/change.js';
import {
  Book,
  type BookChange,
  BookList,
  BookServiceDefinition,
  ChangeType,
  Empty,
  ListBooksResponse,
  WatchChangesResponse,
} from '../gen/books/books.js';
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

// How the responses are encoded: the generated definition, with each response
// encoded as the service returns it, and Watch's and WatchChanges' once for
// every watcher they reach.

/** What nice-grpc needs of a response type: no fromPartial. */
interface ResponseCodec<Message> {
  encode(message: Message): {finish(): Uint8Array};
  decode(input: Uint8Array): Message;
}

/**
 * nice-grpc passes every response of a ts-proto type through its fromPartial
 * before encoding it: a deep copy (100 Book objects for a List of 100) made
 * only to fill in fields a partial response left out. Without fromPartial,
 * nice-grpc types each method to return the whole message, so the compiler
 * checks what the copy would have patched, and the copy goes.
 */
function encodedAsReturned<Message>({encode, decode}: ResponseCodec<Message>): ResponseCodec<Message> {
  return {encode, decode};
}

/**
 * Every watcher is sent the same Book object for an insert (the hub fans out
 * one object), and nice-grpc serialises each message it writes: at 10,000
 * watchers that was 10,000 encodings of one book. This encodes it once,
 * keyed by the object, and lets it go with the object.
 */
const encodedBooks = new WeakMap<Book, {finish(): Uint8Array}>();

// Also without fromPartial: its copy of the book would never be found in the cache.
const BookEncodedOnce: ResponseCodec<Book> = {
  encode(book: Book): {finish(): Uint8Array} {
    let encoded = encodedBooks.get(book);
    if (encoded === undefined) {
      const bytes = Book.encode(book).finish();
      encoded = {finish: () => bytes};
      encodedBooks.set(book, encoded);
    }
    return encoded;
  },
  decode: (input: Uint8Array): Book => Book.decode(input),
};

// Watchers that keep up are each handed the very array of changes the feed
// published, so its response is encoded once for all of them (keyed by that
// array), as Watch encodes each book once. A watcher that fell behind gets a
// batch of its own, encoded for it alone.

const messages = new WeakMap<Change, BookChange>();
const encodedResponses = new WeakMap<readonly Change[], {finish(): Uint8Array}>();
/** Which batch each response was made from, so that encoding can find the batch's bytes. */
const batchOf = new WeakMap<WatchChangesResponse, ChangeBatch>();

const CHANGE_TYPES = {created: ChangeType.CHANGE_TYPE_CREATED, deleted: ChangeType.CHANGE_TYPE_DELETED} as const;

/** The message of one domain change, made once however many watchers it goes to. */
function toBookChange(change: Change): BookChange {
  let message = messages.get(change);
  if (message === undefined) {
    message = {type: CHANGE_TYPES[change.kind], book: change.book, cursor: change.cursor};
    messages.set(change, message);
  }
  return message;
}

function toWatchChangesResponse(batch: ChangeBatch): WatchChangesResponse {
  const response = {changes: batch.changes.map(toBookChange), cursor: batch.cursor};
  batchOf.set(response, batch);
  return response;
}

/** WatchChangesResponse's codec, encoding a published batch's response once for every watcher it reaches. */
const WatchChangesResponseEncodedOnce = {
  encode(response: WatchChangesResponse): {finish(): Uint8Array} {
    const batch = batchOf.get(response);
    // The cursor is the batch's last change's, so the changes decide the bytes.
    if (batch === undefined || batch.changes.length === 0) return WatchChangesResponse.encode(response);
    let encoded = encodedResponses.get(batch.changes);
    if (encoded === undefined) {
      const bytes = WatchChangesResponse.encode(response).finish();
      encoded = {finish: () => bytes};
      encodedResponses.set(batch.changes, encoded);
    }
    return encoded;
  },
  decode: (input: Uint8Array): WatchChangesResponse => WatchChangesResponse.decode(input),
};

const {methods} = BookServiceDefinition;

/**
 * The generated BookServiceDefinition, with responses encoded as the service
 * returns them, and Watch's and WatchChanges' once for all watchers.
 */
export const BookServiceServerDefinition = {
  ...BookServiceDefinition,
  methods: {
    list: {...methods.list, responseType: encodedAsReturned<BookList>(BookList)},
    insert: {...methods.insert, responseType: encodedAsReturned<Empty>(Empty)},
    get: {...methods.get, responseType: encodedAsReturned<Book>(Book)},
    delete: {...methods.delete, responseType: encodedAsReturned<Empty>(Empty)},
    watch: {...methods.watch, responseType: BookEncodedOnce},
    listBooks: {...methods.listBooks, responseType: encodedAsReturned<ListBooksResponse>(ListBooksResponse)},
    watchChanges: {...methods.watchChanges, responseType: WatchChangesResponseEncodedOnce},
  },
} as const;
