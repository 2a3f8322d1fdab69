import {delay, isAbortError} from 'abort-controller-x';
import {ClientError, Status} from 'nice-grpc';
import type {BookChange} from '../gen/books/books.js';
import {Backoff} from './backoff.js';
import type {BooksClient} from './client.js';

export interface FollowChangesOptions {
  /** Start right after this cursor; empty or absent: from now (or after the snapshot). */
  readonly afterCursor?: string;
  /** Start with every book of the catalogue, as created changes of one snapshot. */
  readonly includeExisting?: boolean;
  /** Open the stream again after a break, from the last cursor received (default true). */
  readonly reconnect?: boolean;
  /** A stream whose headers have not come in this long is given up on (and retried). Default 5000. */
  readonly openTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Whether the server was ever reached (BooksConnection.reached): a break
   * before it was is thrown, not retried, as for reads. Default: always retried.
   */
  readonly reached?: () => boolean;
  /** Told each time the stream is open. */
  readonly onOpen?: () => void;
  /**
   * Told of each break before the stream is opened again, in `retryInMs`
   * (jittered: from 125 to 250 ms after a stream that was open, doubling
   * while the server stays away, up to 5 to 10 s); `resumeAfter` is empty
   * when it starts afresh.
   */
  readonly onInterrupted?: (error: unknown, retryInMs: number, resumeAfter: string) => void;
}

export interface FollowedChanges {
  /** In commit order; empty in a heartbeat. */
  readonly changes: BookChange[];
  /** Where to resume after these changes; empty inside a snapshot. */
  readonly cursor: string;
  /**
   * True on the first response of a snapshot sent again because the stream
   * broke before the first one ended: drop whatever was built from it.
   */
  readonly snapshotRestarted: boolean;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * Every change of the catalogue, resumed after any break from the last
 * cursor the server sent, so that none is lost or repeated. A break before
 * a snapshot's cursor arrives starts the snapshot again. Ends when `signal`
 * aborts; throws a status that another try cannot mend (OUT_OF_RANGE for a
 * cursor older than the server keeps, INVALID_ARGUMENT, UNIMPLEMENTED...).
 */
export async function* followChanges(
  client: BooksClient,
  options: FollowChangesOptions = {},
): AsyncGenerator<FollowedChanges, void, undefined> {
  const {
    includeExisting = false,
    reconnect = true,
    openTimeoutMs = 5000,
    signal = new AbortController().signal,
    reached = () => true,
  } = options;
  let cursor = options.afterCursor ?? '';
  let snapshotRestarted = false;
  const backoff = new Backoff(FIRST_RETRY_MS, MAX_RETRY_MS);
  for (;;) {
    let failure: unknown = new ClientError(
      '/books.BookService/WatchChanges',
      Status.UNAVAILABLE,
      'the server ended the stream',
    );
    const opening = new AbortController();
    const timer = setTimeout(() => opening.abort(), openTimeoutMs);
    let opened = false;
    try {
      const responses = client.watchChanges(
        cursor === '' ? {afterCursor: '', includeExisting} : {afterCursor: cursor, includeExisting: false},
        {
          signal: AbortSignal.any([signal, opening.signal]),
          onHeader: () => {
            opened = true;
            clearTimeout(timer);
            backoff.reset();
            options.onOpen?.();
          },
        },
      );
      for await (const {changes, cursor: next} of responses) {
        yield {changes, cursor: next, snapshotRestarted};
        snapshotRestarted = false;
        if (next !== '') cursor = next;
      }
    } catch (error: unknown) {
      if (signal.aborted) return;
      failure =
        isAbortError(error) && !opened
          ? new ClientError(
              '/books.BookService/WatchChanges',
              Status.DEADLINE_EXCEEDED,
              `no answer within ${openTimeoutMs} ms`,
            )
          : error;
      if (!reconnect || !reached() || !isWorthResuming(failure)) throw failure;
    } finally {
      clearTimeout(timer);
    }
    if (!reconnect) throw failure;
    if (cursor === '' && includeExisting) snapshotRestarted = true;
    const retryMs = backoff.next();
    options.onInterrupted?.(failure, retryMs, cursor);
    try {
      await delay(signal, retryMs);
    } catch {
      return;
    }
  }
}

/** A server restarting or unreachable for a while, or shedding a watcher that fell behind. */
export function isWorthResuming(error: unknown): boolean {
  return (
    error instanceof ClientError &&
    [
      Status.UNAVAILABLE,
      Status.RESOURCE_EXHAUSTED,
      Status.DEADLINE_EXCEEDED,
      Status.INTERNAL,
      Status.CANCELLED,
    ].includes(error.code)
  );
}
