import {Code, ConnectError, type HandlerContext, type ServiceImpl} from '@connectrpc/connect';
import {isAbortError} from 'abort-controller-x';
import {ServerError, Status} from 'nice-grpc';
import {InvalidArgumentError} from '../domain/errors.js';
import {BookService} from '../gen/es/books/books_pb.js';
import {BadRequestSchema} from '../gen/es/google/rpc/error_details_pb.js';
import type {TokenCheck} from './auth.js';
import {logCallEnd} from './call-logging.js';
import {fieldViolations, toStatusError} from './error-status.js';
import type {Logger} from './logger.js';
import type {Metrics} from './metrics.js';
import type {Terminator} from './terminator.js';

/** What every web call is held to, as every gRPC call is by call-middleware.ts. */
export interface WebCallRules {
  readonly logger: Logger;
  readonly terminator: Terminator;
  /** Refuses a call that needs a token it lacks (auth.ts's tokenCheck). */
  readonly checkToken?: TokenCheck;
  /** Counts and times every call, by protocol, when given. */
  readonly metrics?: Pick<Metrics, 'countWebCall'>;
}

type Handler = (request: unknown, context: HandlerContext) => unknown;
type StreamHandler = (request: unknown, context: HandlerContext) => AsyncIterable<unknown>;

/** One method's name as the logs and metrics give it. */
interface MethodName {
  readonly path: string;
  readonly method: string;
  readonly type: 'unary' | 'server_stream';
}

/**
 * The web service with the gRPC port's rules around each method: the token
 * checked, streams made terminable (shutdown ends them with UNAVAILABLE),
 * errors mapped through the one table in error-status.ts (Connect's codes are
 * gRPC's, number for number), INVALID_ARGUMENT with google.rpc.BadRequest,
 * and the end of each call logged as the gRPC port logs it, and counted.
 */
export function withWebCallRules(
  service: ServiceImpl<typeof BookService>,
  rules: WebCallRules,
): ServiceImpl<typeof BookService> {
  const wrapped: Record<string, Handler> = {};
  const methods = service as unknown as Record<string, Handler>;
  for (const {name, localName, methodKind} of BookService.methods) {
    const path = `/${BookService.typeName}/${name}`;
    const handler = methods[localName];
    if (handler === undefined) throw new Error(`${path} is not implemented`);
    wrapped[localName] =
      methodKind === 'server_streaming'
        ? streamingCall({path, method: name, type: 'server_stream'}, handler as StreamHandler, rules)
        : unaryCall({path, method: name, type: 'unary'}, handler, rules);
  }
  return wrapped as unknown as ServiceImpl<typeof BookService>;
}

function unaryCall(name: MethodName, handler: Handler, rules: WebCallRules): Handler {
  return async (request, context) => {
    const started = performance.now();
    try {
      rules.checkToken?.(name.path, context.requestHeader.get('authorization') ?? undefined);
      const response = await handler(request, context);
      succeeded(rules, name, context, started);
      return response;
    } catch (error: unknown) {
      throw failed(rules, name, context, started, error);
    }
  };
}

function streamingCall(name: MethodName, handler: StreamHandler, rules: WebCallRules): Handler {
  return async function* eachWebStream(request: unknown, context: HandlerContext) {
    const started = performance.now();
    const terminable = rules.terminator.link(context.signal);
    try {
      rules.checkToken?.(name.path, context.requestHeader.get('authorization') ?? undefined);
      yield* handler(request, {...context, signal: terminable.signal});
      succeeded(rules, name, context, started);
    } catch (error: unknown) {
      throw failed(rules, name, context, started, terminable.explain(error));
    } finally {
      terminable.release();
    }
  };
}

/** Logs and counts a call that succeeded. */
function succeeded(rules: WebCallRules, name: MethodName, context: HandlerContext, started: number): void {
  logCallEnd(rules.logger, name.path, started);
  count(rules, name, context, started, Status.OK);
}

/** Logs and counts a call that threw `error`, and returns the gRPC port's status for it as a ConnectError. */
function failed(
  rules: WebCallRules,
  name: MethodName,
  context: HandlerContext,
  started: number,
  error: unknown,
): ConnectError {
  const connectError = toWebError(error, name.path, started, rules.logger);
  count(rules, name, context, started, connectError.code as number as Status);
  return connectError;
}

function count(
  {metrics}: WebCallRules,
  {method, type}: MethodName,
  context: HandlerContext,
  started: number,
  code: Status,
): void {
  metrics?.countWebCall({
    service: BookService.typeName,
    method,
    type,
    protocol: context.protocolName,
    code: Status[code],
    seconds: (performance.now() - started) / 1000,
  });
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
