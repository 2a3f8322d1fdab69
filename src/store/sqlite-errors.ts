import {StorageFullError, StoreUnavailableError} from '../domain/errors.js';

/** The primary result codes the store tells apart, by number (node:sqlite gives numbers). */
const PRIMARY_CODES: ReadonlyMap<number, string> = new Map([
  [5, 'SQLITE_BUSY'],
  [6, 'SQLITE_LOCKED'],
  [8, 'SQLITE_READONLY'],
  [10, 'SQLITE_IOERR'],
  [13, 'SQLITE_FULL'],
  [14, 'SQLITE_CANTOPEN'],
]);

/**
 * SQLite's primary result code of an error from either driver, such as
 * 'SQLITE_IOERR' for SQLITE_IOERR_WRITE; undefined for an error that is not
 * SQLite's, or a code the store does not tell apart.
 */
export function sqliteResultCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const {code, errcode} = error as Error & {code?: unknown; errcode?: unknown};
  // node:sqlite: code 'ERR_SQLITE_ERROR', and SQLite's extended result code as
  // a number, whose low byte is the primary code.
  if (typeof errcode === 'number') return PRIMARY_CODES.get(errcode & 0xff);
  // better-sqlite3: the extended code's name, such as 'SQLITE_IOERR_WRITE'.
  if (typeof code === 'string') return /^SQLITE_[A-Z]+/.exec(code)?.[0];
  return undefined;
}

/** The store's own words for what stops it, sent to the client with UNAVAILABLE. */
const UNAVAILABLE: Readonly<Record<string, string>> = {
  SQLITE_BUSY: 'the SQLite database is locked by another connection',
  SQLITE_LOCKED: 'the SQLite database is locked by another connection',
  SQLITE_READONLY: 'the SQLite database cannot be written (is its file, directory or file system read-only?)',
  SQLITE_IOERR: 'the SQLite database file could not be read or written',
  SQLITE_CANTOPEN: 'the SQLite database file cannot be opened',
};

/**
 * The domain error for a SQLite error a client can act on: a full disk is
 * StorageFullError; a lock, a read-only or unreadable file is
 * StoreUnavailableError, which a later call may not meet. Anything else is
 * returned as it is (a bug, reported as INTERNAL).
 */
export function toStoreError(error: unknown): unknown {
  const code = sqliteResultCode(error);
  if (code === 'SQLITE_FULL') return new StorageFullError(error);
  const what = code === undefined ? undefined : UNAVAILABLE[code];
  if (what === undefined) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(new Error(`${what}: ${detail}`, {cause: error}));
}

/** Runs `work`, throwing what it throws as toStoreError makes it. */
export function mapStoreErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error: unknown) {
    throw toStoreError(error);
  }
}
