import {Book, BookList, BookServiceDefinition, Empty, ListBooksResponse} from '../gen/books/books.js';
import {WatchChangesResponseEncodedOnce} from './change-messages.js';

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

const {methods} = BookServiceDefinition;

/** The generated BookServiceDefinition, with responses encoded as the service returns them, and Watch's once for all watchers. */
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
