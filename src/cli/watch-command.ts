import {delay, isAbortError} from 'abort-controller-x';
import {ClientError, Status} from 'nice-grpc';
import type {BooksClient} from '../client/client.js';
import type {CliIo} from './cli-io.js';
import type {GlobalOptions} from './options.js';
import {formatWatchedBook} from './print.js';

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/** Prints books as they are inserted; with --reconnect, opens the stream again after it breaks. */
export async function watch(client: BooksClient, io: CliIo, options: GlobalOptions): Promise<void> {
  let backoffMs = RECONNECT_FIRST_MS;
  for (;;) {
    let interruption: string;
    try {
      await watchOnce(client, io, options, () => (backoffMs = RECONNECT_FIRST_MS));
      if (io.signal.aborted) return;
      if (!options.reconnect) {
        io.stderr('books: the server ended the watch\n');
        return;
      }
      interruption = 'the server ended the watch';
    } catch (error: unknown) {
      if (!options.reconnect || !isWorthReconnecting(error)) throw error;
      interruption = error instanceof ClientError ? `${Status[error.code]}: ${error.details}` : String(error);
    }
    io.stderr(
      `books: watch interrupted (${interruption}); reconnecting in ${backoffMs} ms (books inserted meanwhile are not shown)\n`,
    );
    try {
      await delay(io.signal, backoffMs);
    } catch {
      return; // Ctrl-C while waiting
    }
    backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
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
