import {delay, isAbortError} from 'abort-controller-x';
import {ClientError, Status} from 'nice-grpc';
import {Backoff} from '../client/backoff.js';
import type {BooksClient} from '../client/client.js';
import {followChanges} from '../client/follow-changes.js';
import {ChangeType} from '../gen/books/books.js';
import type {CliIo} from './cli-io.js';
import type {GlobalOptions} from './options.js';
import {formatInterruption, formatWatchedBook} from './print.js';

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/**
 * Prints books as they are inserted; with --reconnect, opens the stream
 * again after it breaks: through WatchChanges where the server has it, so
 * that books inserted meanwhile are printed too, else through Watch. A
 * server never reached is reported at once, as for any command: --reconnect
 * waits out a server that was there.
 */
export async function watch(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  reached: () => boolean,
): Promise<void> {
  if (options.reconnect) {
    try {
      await watchThroughChanges(client, io, options, reached);
      return;
    } catch (error: unknown) {
      // The workshop's own server has no WatchChanges.
      if (!(error instanceof ClientError && error.code === Status.UNIMPLEMENTED)) throw error;
    }
  }
  const backoff = new Backoff(RECONNECT_FIRST_MS, RECONNECT_MAX_MS);
  for (;;) {
    let interruption: string;
    try {
      await watchOnce(client, io, options, () => backoff.reset());
      if (io.signal.aborted) return;
      if (!options.reconnect) {
        io.stderr('books: the server ended the watch\n');
        return;
      }
      interruption = 'the server ended the watch';
    } catch (error: unknown) {
      if (!options.reconnect || !reached() || !isWorthReconnecting(error)) throw error;
      interruption = formatInterruption(error, options.address);
    }
    const backoffMs = backoff.next();
    io.stderr(
      `books: watch interrupted (${interruption}); reconnecting in ${backoffMs} ms (books inserted meanwhile are not shown)\n`,
    );
    try {
      await delay(io.signal, backoffMs);
    } catch {
      return; // Ctrl-C while waiting
    }
  }
}

/** Inserted books from the change feed, resumed after every break from the last change printed. */
async function watchThroughChanges(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  reached: () => boolean,
): Promise<void> {
  for (;;) {
    const feed = followChanges(client, {
      openTimeoutMs: options.timeout,
      signal: io.signal,
      reached,
      onOpen: () => {
        if (!options.json) io.stderr(`Watching ${options.address} for inserted books (Ctrl-C to stop)\n`);
      },
      onInterrupted: (error, retryInMs) =>
        io.stderr(
          `books: watch interrupted (${formatInterruption(error, options.address)}); resuming after the last book in ${retryInMs} ms\n`,
        ),
    });
    try {
      for await (const {changes} of feed) {
        for (const {type, book} of changes) {
          if (type === ChangeType.CHANGE_TYPE_CREATED && book !== undefined)
            await io.stdout(formatWatchedBook(book, options.json));
        }
      }
      return;
    } catch (error: unknown) {
      if (!(error instanceof ClientError)) throw error;
      // Away for longer than the server keeps changes, or back to another
      // catalogue (a memory store restarted): what was missed cannot be shown.
      if (error.code === Status.OUT_OF_RANGE) io.stderr('books: watch was away too long to catch up');
      else if (error.code === Status.INVALID_ARGUMENT) io.stderr('books: the server came back with another catalogue');
      else throw error;
      io.stderr('; books inserted meanwhile are not shown; watching from now\n');
    }
  }
}

/** A server restarting, unreachable for a while, or shedding a slow watcher: worth another try. */
function isWorthReconnecting(error: unknown): boolean {
  if (error instanceof WatchOpenTimeoutError) return true;
  return (
    error instanceof ClientError &&
    [Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED, Status.DEADLINE_EXCEEDED, Status.INTERNAL].includes(error.code)
  );
}

class WatchOpenTimeoutError extends Error {}

async function watchOnce(client: BooksClient, io: CliIo, options: GlobalOptions, onOpen: () => void): Promise<void> {
  // The stream itself has no deadline, but opening it does: a server that
  // never answers must not leave the CLI hanging.
  const opening = new AbortController();
  const timer = setTimeout(() => opening.abort(), options.timeout);
  let opened = false;
  try {
    const books = client.watch(
      {},
      {
        signal: AbortSignal.any([io.signal, opening.signal]),
        onHeader: () => {
          opened = true;
          clearTimeout(timer);
          onOpen();
          if (!options.json) io.stderr(`Watching ${options.address} for inserted books (Ctrl-C to stop)\n`);
        },
      },
    );
    for await (const book of books) await io.stdout(formatWatchedBook(book, options.json));
  } catch (error: unknown) {
    if (isAbortError(error) && io.signal.aborted) return;
    if (isAbortError(error) && !opened) {
      throw new WatchOpenTimeoutError(`no answer from ${options.address} within ${options.timeout} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
