import {existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {ClientError, Status} from 'nice-grpc';
import type {BooksClient} from '../client/client.js';
import {followChanges} from '../client/follow-changes.js';
import type {CliIo} from './cli-io.js';
import {UsageError, type GlobalOptions} from './options.js';
import {formatChange, formatInterruption} from './print.js';

export interface ChangesOptions {
  readonly from: string | undefined;
  readonly existing: boolean;
  readonly cursorFile: string | undefined;
}

/** The change feed was asked for a cursor the server no longer serves. */
export class CursorTooOldError extends Error {}

/**
 * Prints every change as it arrives; with --reconnect, resumes after any
 * break from the last cursor; with --cursor-file, starts after the cursor
 * stored there and stores the cursor after each change.
 */
export async function changes(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  flags: ChangesOptions,
  reached: () => boolean,
): Promise<void> {
  const stored = flags.cursorFile === undefined ? '' : readStoredCursor(flags.cursorFile);
  if (flags.from !== undefined && stored !== '') {
    throw new UsageError(`--from and --cursor-file ${flags.cursorFile}, which holds a cursor already: choose one`);
  }
  if (flags.from !== undefined && flags.existing) throw new UsageError('--from and --existing: choose one');
  const afterCursor = flags.from ?? stored;
  const feed = followChanges(client, {
    afterCursor,
    // A consumer that stored a cursor has the snapshot already.
    includeExisting: flags.existing && afterCursor === '',
    reconnect: options.reconnect,
    openTimeoutMs: options.timeout,
    signal: io.signal,
    reached,
    onOpen: () => {
      if (!options.json) io.stderr(`Watching ${options.address} for changes (Ctrl-C to stop)\n`);
    },
    onInterrupted: (error, retryInMs, resumeAfter) =>
      io.stderr(
        `books: changes interrupted (${formatInterruption(error, options.address)}); ${resumeAfter === '' ? 'starting again' : 'resuming after the last change'} in ${retryInMs} ms\n`,
      ),
  });
  try {
    for await (const {changes: batch, cursor, snapshotRestarted} of feed) {
      if (snapshotRestarted)
        io.stderr('books: the snapshot broke off before its end and starts again from its first book\n');
      for (const change of batch) {
        await io.stdout(formatChange(change, options.json));
        if (flags.cursorFile !== undefined && change.cursor !== '') storeCursor(flags.cursorFile, change.cursor);
      }
      // A heartbeat's cursor is a fresher resume point for an idle consumer.
      if (batch.length === 0 && flags.cursorFile !== undefined && cursor !== '') storeCursor(flags.cursorFile, cursor);
    }
  } catch (error: unknown) {
    if (error instanceof ClientError && error.code === Status.OUT_OF_RANGE) {
      throw new CursorTooOldError(
        'the cursor is older than the changes the server keeps: start again with --existing' +
          (flags.cursorFile === undefined ? '' : ` (and remove ${flags.cursorFile})`),
      );
    }
    throw error;
  }
}

function readStoredCursor(file: string): string {
  if (!existsSync(file)) return '';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error: unknown) {
    throw new UsageError(`--cursor-file: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Written to a temporary file, then renamed: a reader or a crash never sees half a cursor. */
function storeCursor(file: string, cursor: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${cursor}\n`);
  renameSync(temporary, file);
}
