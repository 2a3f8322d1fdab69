import {Book, BookServiceDefinition} from '../gen/books/books.js';

/**
 * Every watcher is sent the same Book object for an insert (the hub fans out
 * one object), and nice-grpc serialises each message it writes: at 10,000
 * watchers that was 10,000 encodings of one book. This encodes it once,
 * keyed by the object, and lets it go with the object.
 */
const encodedBooks = new WeakMap<Book, {finish(): Uint8Array}>();

const BookEncodedOnce = {
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
  // No fromPartial: nice-grpc would call it before encode, and its copy of
  // the book would never be found in the cache. Watch yields whole books.
};

/** The generated BookServiceDefinition, except that Watch encodes each book once for all watchers. */
export const BookServiceServerDefinition = {
  ...BookServiceDefinition,
  methods: {
    ...BookServiceDefinition.methods,
    watch: {...BookServiceDefinition.methods.watch, responseType: BookEncodedOnce},
  },
} as const;
