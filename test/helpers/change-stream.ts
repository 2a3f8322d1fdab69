import type {BooksClient} from '../../src/client/client.js';
import {ChangeType, type Book, type BookChange, type WatchChangesResponse} from '../../src/gen/books/books.js';

/** A WatchChanges stream read one response at a time, as a test needs it. */
export interface ChangeStream {
  next(): Promise<WatchChangesResponse>;
  /** Reads responses until `count` changes have come; returns them. */
  changes(count: number): Promise<BookChange[]>;
  close(): void;
}

export function openChangeStream(
  client: BooksClient,
  request: {afterCursor?: string; includeExisting?: boolean} = {},
): ChangeStream {
  const controller = new AbortController();
  const responses = client.watchChanges(request, {signal: controller.signal})[Symbol.asyncIterator]();
  const next = async (): Promise<WatchChangesResponse> => {
    const result = await responses.next();
    if (result.done === true) throw new Error('the stream ended');
    return result.value;
  };
  return {
    next,
    async changes(count) {
      const changes: BookChange[] = [];
      while (changes.length < count) changes.push(...(await next()).changes);
      return changes;
    },
    close: () => controller.abort(),
  };
}

/** A change as a test writes it: `+id` for created, `-id` for deleted. */
export function describeChange({type, book}: BookChange): string {
  return `${type === ChangeType.CHANGE_TYPE_CREATED ? '+' : '-'}${book?.id}`;
}

/** Applies changes to a map of books by id, as a consumer keeping a copy in sync would. */
export function applyChanges(books: Map<number, Book>, changes: readonly BookChange[]): void {
  for (const {type, book} of changes) {
    if (book === undefined) throw new Error('a change without its book');
    if (type === ChangeType.CHANGE_TYPE_CREATED) books.set(book.id, book);
    else books.delete(book.id);
  }
}
