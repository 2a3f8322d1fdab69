import {isAbortError} from 'abort-controller-x';
import {ServerError, Status} from 'nice-grpc';
import {
  BookExistsError,
  BookNotFoundError,
  ChangesTrimmedError,
  InvalidArgumentError,
  StoreUnavailableError,
  WatcherLimitError,
  WatcherOverflowError,
} from '../domain/errors.js';
import type {Logger} from './logger.js';

/**
 * The one place where domain errors become gRPC statuses. Anything
 * unexpected becomes INTERNAL with its stack logged, never sent.
 */
export function toServerError(error: unknown): unknown {
  if (error instanceof ServerError || isAbortError(error)) return error;
  if (error instanceof InvalidArgumentError) return new ServerError(Status.INVALID_ARGUMENT, error.message);
  if (error instanceof BookNotFoundError) return new ServerError(Status.NOT_FOUND, error.message);
  if (error instanceof BookExistsError) return new ServerError(Status.ALREADY_EXISTS, error.message);
  if (error instanceof StoreUnavailableError) return new ServerError(Status.UNAVAILABLE, error.message);
  if (error instanceof WatcherLimitError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof WatcherOverflowError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof ChangesTrimmedError) return new ServerError(Status.OUT_OF_RANGE, error.message);
  return undefined;
}

/** What a call that threw `error` ends with: its status, or INTERNAL after logging the unexpected. */
export function toCallError(error: unknown, method: string, logger: Logger): unknown {
  const mapped = toServerError(error);
  if (mapped !== undefined) return mapped;
  logger.error('unexpected error', {method, error: error instanceof Error ? error.stack : String(error)});
  return new ServerError(Status.INTERNAL, 'internal error');
}
