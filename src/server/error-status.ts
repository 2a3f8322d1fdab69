import {BinaryWriter} from '@bufbuild/protobuf/wire';
import {isAbortError} from 'abort-controller-x';
import {ServerError, Status, type Metadata} from 'nice-grpc';
import {Any, BadRequest} from 'nice-grpc-error-details';
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

/**
 * What a call that threw `error` ends with: its status, or INTERNAL after
 * logging the unexpected. A bad request also gets the standard rich error
 * details in `trailer`: google.rpc.BadRequest, one violation per bad field,
 * so that programs read the field without parsing the message.
 */
export function toCallError(error: unknown, method: string, logger: Logger, trailer: Metadata): unknown {
  const mapped = toServerError(error);
  if (error instanceof InvalidArgumentError) trailer.set(STATUS_DETAILS_KEY, badRequestStatus(error));
  if (mapped !== undefined) return mapped;
  logger.error('unexpected error', {method, error: error instanceof Error ? error.stack : String(error)});
  return new ServerError(Status.INTERNAL, 'internal error');
}

/** Where gRPC carries a google.rpc.Status, details included, beside grpc-status and grpc-message. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/**
 * google.rpc.Status {code, message, details: [Any(BadRequest)]}. The details
 * are encoded by nice-grpc-error-details; the Status around them is written
 * here because that package writes it only from a middleware of its own, one
 * more layer that every streamed message would pass through (see
 * call-middleware.ts). Field numbers from google/rpc/status.proto.
 */
function badRequestStatus(error: InvalidArgumentError): Uint8Array {
  const badRequest = BadRequest.fromPartial({
    fieldViolations: error.violations.map(({field, reason}) => ({field, description: reason})),
  });
  const detail = Any.fromPartial({
    typeUrl: `type.googleapis.com/${BadRequest.$type}`,
    value: BadRequest.encode(badRequest).finish(),
  });
  return new BinaryWriter()
    .uint32(8).int32(Status.INVALID_ARGUMENT)
    .uint32(18).string(error.message)
    .uint32(26).bytes(Any.encode(detail).finish())
    .finish();
}
