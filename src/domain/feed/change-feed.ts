import type {Book} from '../book.js';
import type {BookSnapshot, BookStore} from '../book-store.js';
import type {Change, ChangeBatch, ChangeKind, LoggedChange} from '../change.js';
import {ChangesTrimmedError, InvalidArgumentError} from '../errors.js';
import {type Subscription, WatchHub} from './fan-out.js';

/** Changes read from the log at once, and so published to watchers as one chunk at most. */
const CHANGES_PER_READ = 512;
/** The most one watcher is sent in one response: changes, and their approximate size in bytes. */
const MAX_BATCH_CHANGES = CHANGES_PER_READ;
const MAX_BATCH_BYTES = 64 * 1024;

export interface FeedOptions {
  /** Changes one watcher may fall behind before its watch ends. */
  readonly watchQueueSize: number;
  /** Watches open at once, at most. */
  readonly maxWatchers: number;
  /** Told when reading the change log fails; the next wake-up or poll reads again. */
  readonly onFeedError?: (error: unknown) => void;
  /**
   * Told when a periodic read (`poll`) found changes that no wake-up had
   * announced: wake-ups are being lost (a dead notification connection), and
   * watchers get changes only as often as the poll runs. Told again with
   * false once a wake-up brings changes again.
   */
  readonly onMissedWakeUps?: (missing: boolean) => void;
}

export interface ChangesRequest {
  /** Resume right after this cursor; empty: from now. */
  readonly afterCursor: string;
  /** Send the whole catalogue first, as created changes of one snapshot. */
  readonly includeExisting: boolean;
}

/**
 * The one path from the store to every watcher: woken after a commit (here,
 * or in another replica of a shared database), the feed reads the store's
 * change log from where it stopped, gives each change its cursor, and
 * publishes them, in log order, to the hub, which queues them for each
 * watcher (fan-out.ts). Watch and WatchChanges read those queues here.
 *
 * A wake-up only says "read the log": a lost or late one delays changes but
 * never loses one, because the next read starts where the last one ended.
 * The feed starts no timer: whoever runs it calls `poll`, `tick` and `trim`
 * now and then (the server does, in src/server/feed-timers.ts).
 */
export class ChangeFeed {
  /** Opens the feed of `store` at its last logged change; the store wakes it after each commit. */
  static async open(store: BookStore, options: FeedOptions): Promise<ChangeFeed> {
    const hub = new WatchHub<Change>(options.watchQueueSize, options.maxWatchers, {
      items: MAX_BATCH_CHANGES,
      weight: MAX_BATCH_BYTES,
      weigh: approximateSize,
    });
    const feed = new ChangeFeed(store, hub, await store.lastPosition(), options);
    store.onChanges(() => feed.catchUp());
    return feed;
  }

  readonly #store: BookStore;
  readonly #options: FeedOptions;
  #position: number;
  #reading = false;
  #readAgain = false;
  /** A read failed: the next poll reads as a wake-up would (a retry, not a poll). */
  #retryDue = false;
  #trimming = false;
  #closed = false;
  /** Whether the read under way, or asked for, was a poll and not a wake-up. */
  #polling = false;
  /** Polls in a row that found changes with no wake-up finding any in between. */
  #pollsFinding = 0;
  #missingWakeUps = false;

  private constructor(
    store: BookStore,
    /** Every open watcher's queue: its count and overflows are what metrics report. */
    readonly hub: WatchHub<Change>,
    position: number,
    options: FeedOptions,
  ) {
    this.#store = store;
    this.#position = position;
    this.#options = options;
  }

  /** The last change published to watchers. */
  get position(): number {
    return this.#position;
  }

  /** Reads the log up to its end and publishes what is new; the store calls it after every commit. */
  catchUp(): void {
    if (this.#closed) return;
    this.#polling = false;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    void this.#read();
  }

  /**
   * Reads the log as `catchUp` does, unasked: call now and then, so that a
   * lost wake-up delays changes by at most the interval, never for good,
   * and a failed read is tried again.
   */
  poll(): void {
    if (this.#closed || this.#reading) return;
    this.#polling = !this.#retryDue;
    void this.#read();
  }

  /** Call at a steady pace: hands a heartbeat to each watcher that has waited a whole tick with nothing new. */
  tick(): void {
    this.hub.tick();
  }

  /** Trims the log to its last `keep` changes; does nothing while the previous trim runs. */
  async trim(keep: number): Promise<void> {
    if (this.#trimming || this.#closed) return;
    this.#trimming = true;
    try {
      await this.#store.trimChanges(keep);
    } finally {
      this.#trimming = false;
    }
  }

  /** Stops reading; open watchers keep what they were sent. */
  close(): void {
    this.#closed = true;
  }

  /** Every book inserted from now on, until `signal` aborts: registered before this returns. */
  watch(signal: AbortSignal): AsyncGenerator<Book, void, undefined> {
    return createdBooks(this.hub.subscribe(signal));
  }

  /**
   * Every change in commit order, as batches, until `signal` aborts: from
   * now (starting with a heartbeat that carries the current cursor), after a
   * cursor (starting with the changes missed, or a heartbeat if there were
   * none), or after a snapshot of the whole catalogue. What can refuse the
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
    const now = this.#position;
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
      if (includeExisting) return this.#changes({snapshot: await this.#store.snapshot()}, signal, unreserve);
      if (afterCursor === '') return this.#changes({now}, signal, unreserve);
      const after = decodeCursor(afterCursor, this.#store.catalogueId);
      if (after > (await this.#store.lastPosition())) {
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
        position = yield* snapshotBatches(start.snapshot, this.#cursorAt(start.snapshot.position));
      } else if ('now' in start) {
        position = start.now;
        yield {changes: [], cursor: this.#cursorAt(position)};
      } else {
        position = start.after;
      }
      const caughtUp = yield* this.#catchUpWatcher(position, signal, unreserve);
      queue = caughtUp.queue;
      position = caughtUp.position;
    } finally {
      unreserve();
      signal.removeEventListener('abort', unreserve);
    }
    try {
      if ('after' in start && position === start.after) {
        // Nothing newer was published here yet: answer at once all the same,
        // with the client's own cursor, as a watch from now does, so that it
        // learns it has resumed (a web client gets the response headers only
        // with a first message), not at the next heartbeat.
        yield {changes: [], cursor: this.#cursorAt(position)};
      }
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
        const last = changes.at(-1);
        if (last !== undefined) {
          position = last.position;
          yield {changes, cursor: last.cursor};
        } else if (next.value.length === 0) {
          // Everything published so far has been sent: the feed's position is this watcher's too.
          position = Math.max(position, this.#position);
          yield {changes: [], cursor: this.#cursorAt(position)};
        }
      }
    } finally {
      queue.end();
    }
  }

  /**
   * Sends the logged changes after `from` until the feed has published
   * nothing newer, then subscribes to the feed in the same turn of the event
   * loop, so that no change falls between the two. Returns the subscription
   * and the position sent up to, which may be past the feed's own.
   */
  async *#catchUpWatcher(
    from: number,
    signal: AbortSignal,
    unreserve: () => void,
  ): AsyncGenerator<ChangeBatch, {queue: Subscription<Change>; position: number}, undefined> {
    let position = from;
    while (position < this.#position) {
      const logged = await this.#store.readChanges(position, MAX_BATCH_CHANGES).catch((error: unknown) => {
        throw error instanceof ChangesTrimmedError ? this.#withOldestCursor(error) : error;
      });
      const changes = this.#withCursors(logged);
      const last = changes.at(-1);
      if (last === undefined) continue;
      position = last.position;
      yield {changes, cursor: last.cursor};
    }
    // The watch's reserved place becomes its subscription, in the same turn.
    unreserve();
    return {queue: this.hub.subscribe(signal), position};
  }

  /** The cursor that resumes right after `position`. */
  #cursorAt(position: number): string {
    return encodeCursor(this.#store.catalogueId, position);
  }

  /** Adds the cursor of each logged change. */
  #withCursors(changes: readonly LoggedChange[]): Change[] {
    return changes.map((change) => ({...change, cursor: this.#cursorAt(change.position)}));
  }

  /** The same error, naming the oldest cursor still served. */
  #withOldestCursor(error: ChangesTrimmedError): ChangesTrimmedError {
    return new ChangesTrimmedError(error.oldest, this.#cursorAt(error.oldest));
  }

  /**
   * With no watcher, nobody needs the changes themselves: the feed moves to
   * the end of the log without reading them (a watcher that resumes from a
   * cursor reads its catch-up from the store). Not if a watcher subscribed
   * meanwhile, which must get every change after it subscribed.
   */
  async #skipUnwatched(): Promise<boolean> {
    const subscribed = this.hub.subscribedCount;
    const last = await this.#store.lastPosition();
    if (this.hub.subscribedCount !== subscribed || this.#closed) return false;
    this.#position = Math.max(this.#position, last);
    return true;
  }

  async #read(): Promise<void> {
    this.#reading = true;
    try {
      do {
        this.#readAgain = false;
        this.#retryDue = false;
        try {
          if (this.hub.watcherCount === 0 && (await this.#skipUnwatched())) continue;
          let found = false;
          for (;;) {
            const logged = await this.#store.readChanges(this.#position, CHANGES_PER_READ);
            const last = logged.at(-1);
            if (this.#closed || last === undefined) break;
            if (!found) this.#noteFound(this.#polling);
            found = true;
            const changes = this.#withCursors(logged);
            this.#position = last.position;
            this.hub.publish(changes);
            // A short read reached the end of the log; a commit since then asks for another.
            if (logged.length < CHANGES_PER_READ) break;
          }
        } catch (error: unknown) {
          if (error instanceof ChangesTrimmedError) {
            // This feed fell further behind than the log keeps (a replica cut
            // off from its database for long): what it missed is gone, so
            // every watcher is told, and resumes or starts again, rather than
            // silently skipping changes.
            this.hub.endAll(this.#withOldestCursor(error));
            this.#position = error.oldest;
            // Read on from the oldest change kept, as a wake-up would.
            this.#readAgain = true;
            this.#polling = false;
          } else {
            // Read again at the next wake-up or poll, whichever comes first.
            this.#retryDue = true;
            this.#options.onFeedError?.(error);
          }
        }
      } while (this.#readAgain && !this.#closed);
    } finally {
      this.#reading = false;
      this.#polling = false;
    }
  }

  /**
   * Tells when polls start finding what wake-ups missed, and when wake-ups
   * bring changes again. One poll that finds changes proves nothing: it may
   * have read a commit whose wake-up was on its way. Two in a row, with no
   * wake-up finding anything in between, do.
   */
  #noteFound(byPoll: boolean): void {
    this.#pollsFinding = byPoll ? this.#pollsFinding + 1 : 0;
    const missing = byPoll ? this.#pollsFinding >= 2 || this.#missingWakeUps : false;
    if (missing === this.#missingWakeUps) return;
    this.#missingWakeUps = missing;
    this.#options.onMissedWakeUps?.(missing);
  }
}

/** Sends `snapshot` a page at a time, `cursor` on its last change; returns its position. */
async function* snapshotBatches(
  snapshot: BookSnapshot,
  cursor: string,
): AsyncGenerator<ChangeBatch, number, undefined> {
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

// A cursor is opaque to clients. Inside it is the catalogue's identity (so a
// cursor from another database or schema is refused, not misread as a
// position here) and a position in that catalogue's change log, behind a
// version prefix so the format can change later.
const CURSOR_VERSION = 'c1';

function encodeCursor(catalogueId: string, position: number): string {
  return Buffer.from(`${CURSOR_VERSION}:${catalogueId}:${position}`).toString('base64url');
}

/** The log position in `cursor`. Throws InvalidArgumentError unless this catalogue issued it. */
export function decodeCursor(cursor: string, catalogueId: string): number {
  const [version, issuer, text, ...rest] = Buffer.from(cursor, 'base64url').toString().split(':');
  const position = /^\d+$/.test(text ?? '') ? Number(text) : Number.NaN;
  if (version !== CURSOR_VERSION || rest.length > 0 || !Number.isSafeInteger(position)) {
    throw new InvalidArgumentError({field: 'after_cursor', reason: 'is not a cursor this service issued'});
  }
  if (issuer !== catalogueId) {
    throw new InvalidArgumentError({
      field: 'after_cursor',
      reason: 'comes from another catalogue (another database or schema)',
    });
  }
  return position;
}

/** A row of a `changes` table, as SQLite and PostgreSQL return it (bigint as a string). */
export interface ChangeRow {
  readonly position: number | string;
  readonly kind: ChangeKind;
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

/**
 * The changes in `rows`, read after position `after`, for a store's
 * `readChanges`; ChangesTrimmedError if the first of them is no longer
 * kept. Positions have no gaps, so a first change past `after + 1` means
 * those between were trimmed.
 */
export function checkedChanges(after: number, rows: readonly ChangeRow[]): LoggedChange[] {
  const changes = rows.map(({position, kind, id, title, author}) => ({
    kind,
    book: {id, title, author},
    position: Number(position),
  }));
  const first = changes[0];
  if (first !== undefined && first.position !== after + 1) throw new ChangesTrimmedError(first.position - 1);
  return changes;
}
