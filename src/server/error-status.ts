import {isAbortError} from 'abort-controller-x';
import {ServerError, Status, type ServerMiddleware} from 'nice-grpc';
import {
  BookExistsError,
  BookNotFoundError,
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
  return undefined;
}

export function errorStatusMiddleware(logger: Logger): ServerMiddleware {
  return async function* errorStatus(call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (error: unknown) {
      const mapped = toServerError(error);
      if (mapped !== undefined) throw mapped;
      logger.error('unexpected error', {
        method: call.method.path,
        error: error instanceof Error ? error.stack : String(error),
      });
      throw new ServerError(Status.INTERNAL, 'internal error');
    }
  };
}
