import {Code, ConnectError, type HandlerContext, type ServiceImpl} from '@connectrpc/connect';
import {isAbortError} from 'abort-controller-x';
import {ServerError} from 'nice-grpc';
import {InvalidArgumentError} from '../domain/errors.js';
import {BookService} from '../gen/es/books/books_pb.js';
import {BadRequestSchema} from '../gen/es/google/rpc/error_details_pb.js';
import {logCallEnd} from './call-logging.js';
import {fieldViolations, toStatusError} from './error-status.js';
import type {Logger} from './logger.js';
import type {Terminator} from './terminator.js';

/** What every web call is held to, as every gRPC call is by call-middleware.ts and auth.ts. */
export interface WebCallRules {
  readonly logger: Logger;
  readonly terminator: Terminator;
  /** Throws UNAUTHENTICATED or PERMISSION_DENIED for a call that needs a token it lacks (auth.ts's tokenCheck). */
  readonly checkToken?: (path: string, authorization: string | undefined) => void;
}

type Handler = (request: unknown, context: HandlerContext) => unknown;
type StreamHandler = (request: unknown, context: HandlerContext) => AsyncIterable<unknown>;

/**
 * The web service with the gRPC port's rules around each method: the token
 * checked, streams made terminable (shutdown ends them with UNAVAILABLE),
 * errors mapped through the one table in error-status.ts (Connect's codes are
 * gRPC's, number for number), INVALID_ARGUMENT with google.rpc.BadRequest,
 * and the end of each call logged as the gRPC port logs it.
 */
export function withWebCallRules(
  service: ServiceImpl<typeof BookService>,
  rules: WebCallRules,
): ServiceImpl<typeof BookService> {
  const wrapped: Record<string, Handler> = {};
  const methods = service as unknown as Record<string, Handler>;
  for (const method of BookService.methods) {
    const path = `/${BookService.typeName}/${method.name}`;
    const handler = methods[method.localName];
    if (handler === undefined) throw new Error(`${path} is not implemented`);
    wrapped[method.localName] =
      method.methodKind === 'server_streaming'
        ? streamingCall(path, handler as StreamHandler, rules)
        : unaryCall(path, handler, rules);
  }
  return wrapped as unknown as ServiceImpl<typeof BookService>;
}

function unaryCall(path: string, handler: Handler, {logger, checkToken}: WebCallRules): Handler {
  return async (request, context) => {
    const started = performance.now();
    try {
      checkToken?.(path, context.requestHeader.get('authorization') ?? undefined);
      const response = await handler(request, context);
      logCallEnd(logger, path, started);
      return response;
    } catch (error: unknown) {
      throw toWebError(error, path, started, logger);
    }
  };
}

function streamingCall(path: string, handler: StreamHandler, {logger, terminator, checkToken}: WebCallRules): Handler {
  return async function* eachWebStream(request: unknown, context: HandlerContext) {
    const started = performance.now();
    const terminable = terminator.link(context.signal);
    try {
      checkToken?.(path, context.requestHeader.get('authorization') ?? undefined);
      yield* handler(request, {...context, signal: terminable.signal});
      logCallEnd(logger, path, started);
    } catch (error: unknown) {
      throw toWebError(terminable.explain(error), path, started, logger);
    } finally {
      terminable.release();
    }
  };
}

/** The gRPC port's status for `error`, as a ConnectError, with the end of the call logged. */
function toWebError(error: unknown, path: string, started: number, logger: Logger): ConnectError {
  const failure = toStatusError(error, path, logger);
  logCallEnd(logger, path, started, failure, error);
  if (isAbortError(failure)) return new ConnectError('the call was cancelled', Code.Canceled);
  if (!(failure instanceof ServerError)) return new ConnectError('internal error', Code.Internal);
  const details =
    error instanceof InvalidArgumentError
      ? [{desc: BadRequestSchema, value: {fieldViolations: fieldViolations(error)}}]
      : undefined;
  return new ConnectError(failure.details, failure.code as number as Code, undefined, details);
}
