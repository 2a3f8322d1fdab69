import {isAbortError} from 'abort-controller-x';
import {ServerError, Status} from 'nice-grpc';
import {SnapshotLimitError, StorageFullError, StoreUnavailableError, WatcherLimitError} from '../domain/errors.js';
import type {Logger} from './logger.js';

/**
 * Logs a call's end once, at a level a person can act on: at error, the
 * server's own faults; at warn, its store failing and its limits being
 * reached; at debug, what the client did and was told (an id that exists or
 * does not, a bad field, a missing token, a slow reader dropped, a
 * cancelled call, shutdown), and every call that succeeded.
 *
 * @param error what the call threw, already mapped to a gRPC status; undefined if it succeeded
 * @param cause what the service threw before it was mapped, which tells a limit of ours from a client's mistake
 */
export function logCallEnd(
  logger: Logger,
  method: string,
  startedMs: number,
  error?: unknown,
  cause: unknown = error,
): void {
  if (error === undefined) {
    log(logger, 'debug', method, startedMs, Status.OK);
  } else if (isAbortError(error)) {
    // The client went away: the normal end of a watch, not a failure.
    log(logger, 'debug', method, startedMs, Status.CANCELLED);
  } else if (error instanceof ServerError) {
    log(logger, levelOf(error.code, cause), method, startedMs, error.code, error.details);
  } else {
    log(logger, 'error', method, startedMs, Status.UNKNOWN, String(error));
  }
}

type CallLogLevel = 'debug' | 'warn' | 'error';

function levelOf(code: Status, cause: unknown): CallLogLevel {
  if (code === Status.INTERNAL || code === Status.UNKNOWN || code === Status.DATA_LOSS) return 'error';
  // A full disk stays full until someone makes room.
  if (cause instanceof StorageFullError) return 'error';
  // The database is away, or a setting (--max-watchers, --database-max-connections) is too small for the load.
  if (
    cause instanceof StoreUnavailableError ||
    cause instanceof WatcherLimitError ||
    cause instanceof SnapshotLimitError
  ) {
    return 'warn';
  }
  return 'debug';
}

function log(
  logger: Logger,
  level: CallLogLevel,
  method: string,
  startedMs: number,
  code: Status,
  details?: string,
): void {
  // Checked first, so that a call that is not logged costs no log object.
  if (!logger.isEnabled(level)) return;
  const fields = {method, code: Status[code], ms: round(performance.now() - startedMs)};
  logger[level]('call', details === undefined ? fields : {...fields, details});
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
