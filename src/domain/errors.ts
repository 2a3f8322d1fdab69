// Domain errors: plain Errors that say what went wrong in the catalogue's own
// terms. src/server/error-status.ts is the one place that maps them to gRPC.

export class BookNotFoundError extends Error {
  override readonly name = 'BookNotFoundError';
  constructor(readonly id: number) {
    super(`book ${id} not found`);
  }
}

export class BookExistsError extends Error {
  override readonly name = 'BookExistsError';
  constructor(readonly id: number) {
    super(`book ${id} already exists`);
  }
}

/** What is wrong with one field of a request, named as in the .proto file (`page_size`). */
export interface FieldViolation {
  readonly field: string;
  readonly reason: string;
}

/** A request with one or more bad fields: each is named, so a client can point at it. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  readonly violations: readonly [FieldViolation, ...FieldViolation[]];
  constructor(...violations: [FieldViolation, ...FieldViolation[]]) {
    super(violations.map(({field, reason}) => `${field} ${reason}`).join('; '));
    this.violations = violations;
  }
}

/** Throws InvalidArgumentError naming every violation found; none found, it returns. */
export function rejectViolations(found: readonly (FieldViolation | undefined)[]): void {
  const [first, ...others] = found.filter((violation) => violation !== undefined);
  if (first !== undefined) throw new InvalidArgumentError(first, ...others);
}

/** A watcher read too slowly and its queue overflowed. */
export class WatcherOverflowError extends Error {
  override readonly name = 'WatcherOverflowError';
  constructor(readonly capacity: number) {
    super(`watcher fell more than ${capacity} changes behind; watch again to resume`);
  }
}

/** The server already has as many watchers as it allows. */
export class WatcherLimitError extends Error {
  override readonly name = 'WatcherLimitError';
  constructor(readonly limit: number) {
    super(`the server allows at most ${limit} open watches; try again later`);
  }
}

/**
 * The catalogue no longer fits in the one response of the workshop's List;
 * ListBooks pages through a catalogue of any size.
 */
export class ListTooLargeError extends Error {
  override readonly name = 'ListTooLargeError';
  /**
   * @param limitBytes the largest response List may send
   * @param listed the books that fitted before the one that did not
   */
  constructor(
    readonly limitBytes: number,
    readonly listed: number,
  ) {
    super(
      `the catalogue is larger than List's ${limitBytes}-byte limit (past ${listed} books); page through it with ListBooks`,
    );
  }
}

/** The store cannot be reached now; the same call may succeed later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(cause: unknown) {
    super(`the book store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {cause});
  }
}

/** A change feed was asked to resume from a point older than the changes still kept. */
export class ChangesTrimmedError extends Error {
  override readonly name = 'ChangesTrimmedError';
  /**
   * @param oldest the oldest position still served: changes after it are all kept
   * @param oldestCursor the same as a cursor, once the catalogue has named it
   */
  constructor(
    readonly oldest: number,
    readonly oldestCursor?: string,
  ) {
    super(
      `the cursor is older than the changes this server keeps${oldestCursor === undefined ? '' : `; the oldest cursor still served is ${oldestCursor}`}; start again with include_existing`,
    );
  }
}

/** The store has no room left for the write (a full disk or quota); reads go on, and writes once there is room. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  constructor(cause?: unknown) {
    super('storage full', {cause});
  }
}

/** Every connection the server keeps for snapshots (`include_existing`) is in use. */
export class SnapshotLimitError extends Error {
  override readonly name = 'SnapshotLimitError';
  constructor(readonly limit: number) {
    super(
      `the server is already sending ${limit} snapshot(s) (include_existing), as many as it allows at once; try again shortly`,
    );
  }
}

/**
 * A snapshot's client read nothing for too long: its database transaction
 * was released, and the stream ends; the client starts again like after any
 * break.
 */
export class SnapshotAbandonedError extends Error {
  override readonly name = 'SnapshotAbandonedError';
  constructor(readonly idleMs: number) {
    super(
      `the snapshot was abandoned after its client read nothing for ${idleMs} ms; start again with include_existing`,
    );
  }
}
