import {isAbortError} from 'abort-controller-x';
import {ServerError, Status, type Metadata} from 'nice-grpc';
import {
  BookExistsError,
  BookNotFoundError,
  ChangesTrimmedError,
  InvalidArgumentError,
  ListTooLargeError,
  SnapshotAbandonedError,
  SnapshotLimitError,
  StorageFullError,
  StoreUnavailableError,
  WatcherLimitError,
  WatcherOverflowError,
} from '../domain/errors.js';
import {TokenMissingError, TokenRejectedError} from './auth.js';
import type {Logger} from './logger.js';

/**
 * The one place where domain errors, and the token check's, become gRPC
 * statuses. Anything unexpected becomes INTERNAL with its stack logged,
 * never sent.
 */
export function toServerError(error: unknown): unknown {
  if (error instanceof ServerError || isAbortError(error)) return error;
  if (error instanceof InvalidArgumentError) return new ServerError(Status.INVALID_ARGUMENT, error.message);
  if (error instanceof BookNotFoundError) return new ServerError(Status.NOT_FOUND, error.message);
  if (error instanceof BookExistsError) return new ServerError(Status.ALREADY_EXISTS, error.message);
  if (error instanceof StoreUnavailableError) return new ServerError(Status.UNAVAILABLE, error.message);
  if (error instanceof StorageFullError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof ListTooLargeError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof SnapshotLimitError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof SnapshotAbandonedError) return new ServerError(Status.UNAVAILABLE, error.message);
  if (error instanceof WatcherLimitError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof WatcherOverflowError) return new ServerError(Status.RESOURCE_EXHAUSTED, error.message);
  if (error instanceof ChangesTrimmedError) return new ServerError(Status.OUT_OF_RANGE, error.message);
  if (error instanceof TokenMissingError) return new ServerError(Status.UNAUTHENTICATED, error.message);
  if (error instanceof TokenRejectedError) return new ServerError(Status.PERMISSION_DENIED, error.message);
  return undefined;
}

/**
 * What a call that threw `error` ends with: its status, or INTERNAL after
 * logging the unexpected. A bad request also gets the standard rich error
 * details in `trailer`: google.rpc.BadRequest, one violation per bad field,
 * so that programs read the field without parsing the message.
 */
export async function toCallError(error: unknown, method: string, logger: Logger, trailer: Metadata): Promise<unknown> {
  if (error instanceof InvalidArgumentError) trailer.set(STATUS_DETAILS_KEY, await badRequestStatus(error));
  return toStatusError(error, method, logger);
}

/** The status a call that threw `error` ends with (an abort error stays one), or INTERNAL after logging the unexpected. */
export function toStatusError(error: unknown, method: string, logger: Logger): unknown {
  const mapped = toServerError(error);
  if (mapped !== undefined) return mapped;
  logger.error('unexpected error', {method, error: error instanceof Error ? error.stack : String(error)});
  return new ServerError(Status.INTERNAL, 'internal error');
}

/** google.rpc.BadRequest's field violations for a bad request: one per bad field, named as in the .proto. */
export function fieldViolations(error: InvalidArgumentError): {field: string; description: string}[] {
  return error.violations.map(({field, reason}) => ({field, description: reason}));
}

/** Where gRPC carries a google.rpc.Status, details included, beside grpc-status and grpc-message. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/** google.rpc.Status {code, message, details: [Any(google.rpc.BadRequest)]}. */
async function badRequestStatus(error: InvalidArgumentError): Promise<Uint8Array> {
  // Loaded on the first bad request rather than at start-up, which a
  // server that is never sent one need not pay for.
  const [{Status: RpcStatus}, {BadRequest}] = await Promise.all([
    import('../gen/google/rpc/status.js'),
    import('../gen/google/rpc/error_details.js'),
  ]);
  const badRequest = BadRequest.encode(
    BadRequest.fromPartial({
      fieldViolations: fieldViolations(error),
    }),
  );
  return RpcStatus.encode({
    code: Status.INVALID_ARGUMENT,
    message: error.message,
    details: [{typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Buffer.from(badRequest.finish())}],
  }).finish();
}
