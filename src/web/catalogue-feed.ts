import {Code, ConnectError, type Client} from '@connectrpc/connect';
import {type Book, type BookService, ChangeType} from '../gen/es/books/books_pb.js';

/** What the page shows of the connection. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'paused';

export interface FeedEvents {
  /** The catalogue changed (a new snapshot, or changes applied to it). */
  onBooks(books: ReadonlyMap<number, Book>): void;
  onState(state: ConnectionState, detail: string): void;
  /** The server wants a token to read; the feed waits for `retryNow()`. */
  onTokenNeeded(reason: string): void;
}

export interface FeedOptions {
  /** The `authorization` header to send, if any. */
  headers(): Record<string, string>;
  /** Failed attempts in a row after which the page says "offline" (it goes on trying). */
  readonly offlineAfter?: number;
}

const FIRST_STEP_MS = 250;
const LAST_STEP_MS = 10_000;

/**
 * Keeps a Map of the catalogue in sync through WatchChanges: the snapshot
 * (include_existing), then every change, resumed from the last cursor after
 * any break, with a random delay from half to all of a step that doubles from
 * 250 ms to 10 s (as the CLI's `changes --reconnect`). A cursor the server no
 * longer keeps (OUT_OF_RANGE) or does not know starts again with the snapshot.
 *
 * While the tab is hidden the stream is closed, and resumed from its cursor
 * when the tab is shown: over HTTP/1.1 a browser opens at most six
 * connections to a server, and each open stream holds one, so a seventh tab
 * of the page (or any other page of that server) would wait for good.
 */
export function followCatalogue(
  client: Client<typeof BookService>,
  events: FeedEvents,
  options: FeedOptions,
): {retryNow(): void; stop(): void} {
  const stopped = new AbortController();
  let books = new Map<number, Book>();
  let cursor = '';
  let failures = 0;
  let wake: (() => void) | undefined;
  /** The stream under way: aborted on stop, and when the tab is hidden. */
  let attempt = new AbortController();
  const onVisibilityChange = (): void => {
    if (document.hidden) attempt.abort();
    else wake?.();
  };
  document.addEventListener('visibilitychange', onVisibilityChange);
  stopped.signal.addEventListener(
    'abort',
    () => {
      attempt.abort();
      document.removeEventListener('visibilitychange', onVisibilityChange);
    },
    {once: true},
  );

  /** Until `ms` pass (never, without it), `retryNow()`, the tab is shown, the browser is online again, or the feed stops. */
  const wait = (ms?: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        window.removeEventListener('online', done);
        stopped.signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      }
      wake = done;
      window.addEventListener('online', done);
      stopped.signal.addEventListener('abort', done, {once: true});
    });

  async function once(): Promise<void> {
    const resuming = cursor !== '';
    // The snapshot is built apart and shown whole, once its last response (the one with a cursor) is in.
    let snapshot: Map<number, Book> | undefined = resuming ? undefined : new Map();
    const request = resuming ? {afterCursor: cursor} : {includeExisting: true};
    attempt = new AbortController();
    const stream = client.watchChanges(request, {
      signal: attempt.signal,
      headers: options.headers(),
      timeoutMs: 0,
      // Once the server has the watch, a resumed feed is live: the next changes come through it.
      onHeader: () => {
        if (resuming) live();
      },
    });
    for await (const response of stream) {
      const target = snapshot ?? books;
      for (const {type, book} of response.changes) {
        if (book === undefined) continue;
        if (type === ChangeType.CREATED) target.set(book.id, book);
        else if (type === ChangeType.DELETED) target.delete(book.id);
      }
      if (response.cursor !== '') {
        cursor = response.cursor;
        if (snapshot !== undefined) {
          books = snapshot;
          snapshot = undefined;
        }
        live();
      }
      if (snapshot === undefined && (response.changes.length > 0 || response.cursor !== '')) events.onBooks(books);
    }
  }

  function live(): void {
    failures = 0;
    events.onState('live', '');
  }

  async function run(): Promise<void> {
    events.onState('connecting', '');
    while (!stopped.signal.aborted) {
      if (document.hidden) {
        events.onState('paused', 'the tab is hidden; it resumes when shown');
        await wait();
        continue;
      }
      let reason = 'the stream ended';
      try {
        await once();
      } catch (error) {
        if (stopped.signal.aborted) return;
        // Closed because the tab was hidden: not a failure.
        if (document.hidden) continue;
        const failure = ConnectError.from(error);
        reason = failure.rawMessage;
        if (failure.code === Code.OutOfRange || failure.code === Code.InvalidArgument) {
          // The cursor is older than the server keeps, or not its own: the whole catalogue again.
          cursor = '';
        } else if (failure.code === Code.Unauthenticated || failure.code === Code.PermissionDenied) {
          events.onState('offline', 'a token is needed to read');
          events.onTokenNeeded(failure.code === Code.Unauthenticated ? 'this server needs a token' : 'wrong token');
          await wait();
          continue;
        }
      }
      failures += 1;
      const offline = !navigator.onLine || failures >= (options.offlineAfter ?? 6);
      const step = Math.min(LAST_STEP_MS, FIRST_STEP_MS * 2 ** Math.min(failures - 1, 10));
      const delayMs = Math.round(step / 2 + (Math.random() * step) / 2);
      events.onState(offline ? 'offline' : 'reconnecting', `${reason}; again in ${(delayMs / 1000).toFixed(1)} s`);
      await wait(delayMs);
    }
  }

  void run();
  return {
    retryNow: () => wake?.(),
    stop: () => stopped.abort(),
  };
}
