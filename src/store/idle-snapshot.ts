import type {Book} from '../domain/book.js';
import type {BookSnapshot} from '../domain/book-store.js';
import {SnapshotAbandonedError} from '../domain/errors.js';

/** One page of a snapshot, and the position to read the next one after. */
export interface SnapshotPage {
  readonly books: Book[];
  readonly last: number;
}

export interface IdleSnapshotSource {
  /** The log position the snapshot is as of. */
  readonly position: number;
  /** Up to `pageSize` books after position `after` (0: from the start); undefined past the last. */
  readPage(after: number, pageSize: number): Promise<SnapshotPage | undefined>;
  /** Releases what the snapshot holds (a transaction, a connection); called once, whichever way it ends. */
  release(): void | Promise<void>;
  /** A reader that asks for nothing for this long loses the snapshot: it is released at once. */
  readonly idleTimeoutMs: number;
}

/**
 * A snapshot that lets go of its transaction and connection as soon as it
 * is read to the end, abandoned, or left unread for `idleTimeoutMs`: a
 * client that stops reading cannot hold a database connection, a
 * transaction or SQLite's WAL for as long as it likes. The reader, if it
 * comes back, gets SnapshotAbandonedError and starts again, as after any
 * broken stream. The clock runs from the snapshot's opening, so one that is
 * never read is released too.
 */
export function idleSnapshot(source: IdleSnapshotSource): BookSnapshot {
  let released = false;
  let abandoned = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    Promise.resolve()
      .then(() => source.release())
      .catch(() => {});
  };
  const arm = (): NodeJS.Timeout => {
    const idle = setTimeout(() => {
      abandoned = true;
      release();
    }, source.idleTimeoutMs);
    // An idle snapshot never keeps the process alive by itself.
    idle.unref();
    return idle;
  };
  let timer = arm();
  return {
    position: source.position,
    async *pages(pageSize) {
      try {
        let after = 0;
        for (;;) {
          clearTimeout(timer);
          if (abandoned) throw new SnapshotAbandonedError(source.idleTimeoutMs);
          const page = await source.readPage(after, pageSize);
          if (page === undefined) return;
          timer = arm();
          yield page.books;
          after = page.last;
        }
      } finally {
        release();
      }
    },
  };
}
