import {isAbortError} from 'abort-controller-x';
import {ServerError, Status} from 'nice-grpc';
import type {Logger} from './logger.js';

/**
 * Logs a call's end once: a failure at warn (or error for server faults),
 * and, at debug level, every call, with its method, status and duration.
 *
 * @param error what the call threw, already mapped to a gRPC status; undefined if it succeeded
 */
export function logCallEnd(logger: Logger, method: string, startedMs: number, error?: unknown): void {
  if (error === undefined) {
    log(logger, 'debug', method, startedMs, Status.OK);
  } else if (isAbortError(error)) {
    // The client went away: the normal end of a watch, not a failure.
    log(logger, 'debug', method, startedMs, Status.CANCELLED);
  } else if (error instanceof ServerError) {
    log(logger, isServerFault(error.code) ? 'error' : 'warn', method, startedMs, error.code, error.details);
  } else {
    log(logger, 'error', method, startedMs, Status.UNKNOWN, String(error));
  }
}

function log(
  logger: Logger,
  level: 'debug' | 'warn' | 'error',
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

function isServerFault(code: Status): boolean {
  return code === Status.INTERNAL || code === Status.UNKNOWN || code === Status.DATA_LOSS;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
