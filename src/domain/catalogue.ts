import {validateBook, validateBookId, type Book} from './book.js';
import type {BookSnapshot, BookStore} from './book-store.js';
import type {Change, ChangeBatch} from './change.js';
import {CHANGES_PER_READ, ChangeFeed} from './change-feed.js';
import {decodeCursor} from './cursor.js';
import {
  BookNotFoundError,
  ChangesTrimmedError,
  InvalidArgumentError,
  rejectViolations,
  type FieldViolation,
} from './errors.js';
import {decodePageToken, encodePageToken} from './page-token.js';
import type {Subscription} from './subscription.js';
import {WatchHub} from './watch-hub.js';

/** Page size when the client asks for none (AIP-158 lets the server choose). */
export const DEFAULT_PAGE_SIZE = 100;
/** Larger requested pages are cut to this, as AIP-158 prescribes. */
export const MAX_PAGE_SIZE = 1000;

/** The most one watcher is sent in one response: changes, and their approximate size in bytes. */
export const MAX_BATCH_CHANGES = CHANGES_PER_READ;
export const MAX_BATCH_BYTES = 64 * 1024;

export interface CataloguePage {
  readonly books: Book[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
}

/**
 * Its settings are named, and their defaults given, by the server's settings
 * (src/server/settings.ts), so the server passes a slice of its Config.
 */
export interface CatalogueOptions {
  /** Changes one watcher may fall behind before its watch ends. */
  readonly watchQueueSize: number;
  /** Watches open at once, at most. */
  readonly maxWatchers: number;
  /** Told when reading the change log fails (the feed tries again). */
  readonly onFeedError?: (error: unknown) => void;
  /** A watcher of changes idle this long is sent a heartbeat, an empty batch with the current cursor. */
  readonly changesHeartbeatMs: number;
  /** The change log is read this often even without a wake-up, so a lost one delays changes by at most this. */
  readonly feedPollMs: number;
  /** Told when polls start (true) and stop (false) finding changes that no wake-up announced. */
  readonly onMissedWakeUps?: (missing: boolean) => void;
}

export interface ChangesRequest {
  /** Resume right after this cursor; empty: from now. */
  readonly afterCursor: string;
  /** Send the whole catalogue first, as created changes of one snapshot. */
  readonly includeExisting: boolean;
}

/**
 * The book catalogue: validates requests, keeps books in a BookStore, and
 * feeds every committed change to its watchers. Throws only the domain's
 * errors.
 */
export class Catalogue {
  /**
   * Opens the catalogue of `store`. Its change feed starts at the store's
   * last logged change; the store wakes the feed after each commit.
   */
  static async open(store: BookStore, options: CatalogueOptions): Promise<Catalogue> {
    const hub = new WatchHub<Change>(options.watchQueueSize, options.maxWatchers, {
      items: MAX_BATCH_CHANGES,
      weight: MAX_BATCH_BYTES,
      weigh: approximateSize,
    });
    const feed = new ChangeFeed(store, hub, {
      position: await store.lastPosition(),
      onReadError: options.onFeedError,
      onMissedWakeUps: options.onMissedWakeUps,
    });
    // The one path of every change: commit -> change log -> feed -> hub -> each watcher's queue.
    store.onChanges(() => feed.catchUp());
    // Ticks at half the period: a watcher idle for a whole tick gets a heartbeat, so within the period.
    const heartbeats = setInterval(() => hub.tick(), options.changesHeartbeatMs / 2);
    heartbeats.unref();
    const polls = setInterval(() => feed.poll(), options.feedPollMs);
    polls.unref();
    return new Catalogue(store, feed, () => {
      clearInterval(heartbeats);
      clearInterval(polls);
    });
  }

  readonly #stopHeartbeats: () => void;

  constructor(
    readonly store: BookStore,
    readonly feed: ChangeFeed,
    stopHeartbeats: () => void = () => {},
  ) {
    this.#stopHeartbeats = stopHeartbeats;
  }

  /** Stops feeding watchers; the store stays open. */
  close(): void {
    this.#stopHeartbeats();
    this.feed.close();
  }

  get hub(): WatchHub<Change> {
    return this.feed.hub;
  }

  async listPage(pageSize: number, pageToken: string): Promise<CataloguePage> {
    // Both fields are checked, so that a client hears of every bad one at once.
    const violations: FieldViolation[] = [];
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      violations.push({field: 'page_size', reason: `must not be negative, got ${pageSize}`});
    }
    let after = 0;
    try {
      after = decodePageToken(pageToken);
    } catch (error: unknown) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      violations.push(...error.violations);
    }
    rejectViolations(violations);
    const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    const page = await this.store.listPage(after, limit);
    return {books: page.books, nextPageToken: page.next === undefined ? '' : encodePageToken(page.next)};
  }

  async get(id: number): Promise<Book> {
    validateBookId(id);
    const book = await this.store.get(id);
    if (book === undefined) throw new BookNotFoundError(id);
    return book;
  }

  async insert(book: Book): Promise<void> {
    validateBook(book);
    await this.store.insert(book);
  }

  async delete(id: number): Promise<void> {
    validateBookId(id);
    if (!(await this.store.delete(id))) throw new BookNotFoundError(id);
  }

  /** Every book inserted from now on, until `signal` aborts: registered before this returns. */
  watch(signal: AbortSignal): AsyncGenerator<Book, void, undefined> {
    return createdBooks(this.feed.subscribe(signal));
  }

  /**
   * Every change in commit order, as batches, until `signal` aborts: from
   * now (starting with a heartbeat that carries the current cursor), after a
   * cursor, or after a snapshot of the whole catalogue. What can refuse the
   * request is checked before this returns, so that a refusal comes before
   * anything is sent: InvalidArgumentError for a cursor this catalogue did
   * not issue, ChangesTrimmedError for one older than the log keeps,
   * WatcherLimitError, and for a snapshot SnapshotLimitError or
   * StoreUnavailableError. Iterate what it returns (or abort `signal`): it
   * holds a watcher's place, and maybe a snapshot, until then.
   */
  async changes(request: ChangesRequest, signal: AbortSignal): Promise<AsyncGenerator<ChangeBatch, void, undefined>> {
    // "Now" is when the call was made, not when its stream is first read: a
    // client told that the call was accepted sees every later commit.
    const now = this.feed.position;
    const {afterCursor, includeExisting} = request;
    if (afterCursor !== '' && includeExisting) {
      throw new InvalidArgumentError({
        field: 'after_cursor',
        reason: 'cannot be combined with include_existing, which starts at its snapshot',
      });
    }
    // Until it subscribes, the watch holds a place: snapshots and catch-ups count against the limit too.
    const unreserve = this.hub.reserve();
    signal.addEventListener('abort', unreserve, {once: true});
    try {
      if (includeExisting) return this.#changes({snapshot: await this.store.snapshot()}, signal, unreserve);
      if (afterCursor === '') return this.#changes({now}, signal, unreserve);
      const after = decodeCursor(afterCursor, this.store.catalogueId);
      if (after > (await this.store.lastPosition())) {
        throw new InvalidArgumentError({
          field: 'after_cursor',
          reason: 'is ahead of this catalogue (was its database restored?)',
        });
      }
      return this.#changes({after}, signal, unreserve);
    } catch (error: unknown) {
      unreserve();
      throw error;
    }
  }

  async *#changes(
    start: {readonly snapshot: BookSnapshot} | {readonly now: number} | {readonly after: number},
    signal: AbortSignal,
    unreserve: () => void,
  ): AsyncGenerator<ChangeBatch, void, undefined> {
    let position: number;
    let queue: Subscription<Change>;
    try {
      if ('snapshot' in start) {
        position = yield* this.#snapshot(start.snapshot);
      } else if ('now' in start) {
        position = start.now;
        yield {changes: [], cursor: this.feed.cursorAt(position)};
      } else {
        position = start.after;
      }
      const caughtUp = yield* this.#catchUp(position, signal, unreserve);
      queue = caughtUp.queue;
      position = caughtUp.position;
    } finally {
      unreserve();
      signal.removeEventListener('abort', unreserve);
    }
    try {
      for (;;) {
        const next = await queue.next();
        if (next.done === true) return;
        // Changes the catch-up already sent may be queued too.
        const sent = position;
        const first = next.value[0];
        const changes =
          first !== undefined && first.position <= sent
            ? next.value.filter((change) => change.position > sent)
            : next.value;
        if (changes.length > 0) {
          position = changes.at(-1)!.position;
          yield {changes, cursor: changes.at(-1)!.cursor};
        } else if (next.value.length === 0) {
          // Everything published so far has been sent: the feed's position is this watcher's too.
          position = Math.max(position, this.feed.position);
          yield {changes: [], cursor: this.feed.cursorAt(position)};
        }
      }
    } finally {
      queue.end();
    }
  }

  /** Sends the snapshot a page at a time; returns its position. */
  async *#snapshot(snapshot: BookSnapshot): AsyncGenerator<ChangeBatch, number, undefined> {
    const cursor = this.feed.cursorAt(snapshot.position);
    // A page is held back until the next arrives: only the last one carries the cursor.
    let held: Change[] = [];
    for await (const books of snapshot.pages(MAX_BATCH_CHANGES)) {
      if (held.length > 0) yield {changes: held, cursor: ''};
      held = books.map((book) => ({kind: 'created', book, position: snapshot.position, cursor: ''}));
    }
    const last = held.pop();
    if (last !== undefined) held.push({...last, cursor});
    yield {changes: held, cursor};
    return snapshot.position;
  }

  /**
   * Sends the logged changes after `from` until the feed has published
   * nothing newer, then subscribes to the feed in the same turn of the event
   * loop, so that no change falls between the two. Returns the subscription
   * and the position sent up to, which may be past the feed's own.
   */
  async *#catchUp(
    from: number,
    signal: AbortSignal,
    unreserve: () => void,
  ): AsyncGenerator<ChangeBatch, {queue: Subscription<Change>; position: number}, undefined> {
    let position = from;
    while (position < this.feed.position) {
      const logged = await this.store.readChanges(position, MAX_BATCH_CHANGES).catch((error: unknown) => {
        throw error instanceof ChangesTrimmedError
          ? new ChangesTrimmedError(error.oldest, this.feed.cursorAt(error.oldest))
          : error;
      });
      if (logged.length === 0) continue;
      const changes = this.feed.withCursors(logged);
      position = logged.at(-1)!.position;
      yield {changes, cursor: changes.at(-1)!.cursor};
    }
    // The watch's reserved place becomes its subscription, in the same turn.
    unreserve();
    return {queue: this.feed.subscribe(signal), position};
  }
}

/** The books of created changes, one at a time: the workshop's Watch. */
async function* createdBooks(subscription: Subscription<Change>): AsyncGenerator<Book, void, undefined> {
  try {
    for await (const changes of subscription) {
      for (const change of changes) if (change.kind === 'created') yield change.book;
    }
  } finally {
    subscription.end();
  }
}

/** About the bytes a change takes in a response: its book's text, and room for the rest. */
function approximateSize(change: Change): number {
  return change.book.title.length + change.book.author.length + change.cursor.length + 32;
}
