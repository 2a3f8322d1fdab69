import type {BooksClient} from '../../src/client/client.js';
import type {Book} from '../../src/domain/book.js';

export interface Watcher {
  /** Books received so far, in order. */
  readonly books: Book[];
  /** Resolves once the server has registered the watch (its headers arrived). */
  readonly ready: Promise<void>;
  /** Resolves when the stream ends: undefined if it ended cleanly, else the error. */
  readonly ended: Promise<unknown>;
  /** Resolves once `count` books have arrived; rejects if the watch ends first. */
  received(count: number): Promise<void>;
  cancel(): void;
}

/** Opens a Watch and collects what it streams, as a user's client would. */
export function openWatcher(client: BooksClient): Watcher {
  const controller = new AbortController();
  const books: Book[] = [];
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const waiting: {count: number; resolve: () => void; reject: (error: Error) => void}[] = [];
  const ended = (async (): Promise<unknown> => {
    try {
      for await (const book of client.watch({}, {signal: controller.signal, onHeader: onReady})) {
        books.push(book);
        for (const wait of waiting.filter((w) => w.count <= books.length)) wait.resolve();
      }
      return undefined;
    } catch (error: unknown) {
      return error;
    } finally {
      onReady();
      for (const wait of waiting) {
        if (wait.count > books.length)
          wait.reject(new Error(`watch ended after ${books.length} of ${wait.count} books`));
      }
    }
  })();
  return {
    books,
    ready,
    ended,
    received(count) {
      if (books.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => waiting.push({count, resolve, reject}));
    },
    cancel: () => controller.abort(),
  };
}
