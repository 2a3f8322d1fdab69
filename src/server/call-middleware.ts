import type {ServerMiddleware} from 'nice-grpc';
import type {TokenCheck} from './auth.js';
import {logCallEnd} from './call-logging.js';
import {toCallError} from './error-status.js';
import type {Logger} from './logger.js';
import type {Terminator} from './terminator.js';

/**
 * What every call passes through: the token checked (when the server has
 * one), streams made terminable, errors mapped to statuses, the end logged.
 * One middleware rather than one per concern, because nice-grpc runs each
 * middleware as an async generator that every streamed message passes
 * through, and each holds state for every open watch: in the fan-out
 * benchmark (bench/) three layers took a third more server CPU and 3.5 KiB
 * more per watcher than this one.
 */
export function callMiddleware(logger: Logger, terminator: Terminator, checkToken?: TokenCheck): ServerMiddleware {
  return async function* eachCall(call, context) {
    const started = performance.now();
    const method = call.method.path;
    const terminable = call.responseStream ? terminator.link(context.signal) : undefined;
    try {
      checkToken?.(method, context.metadata.get('authorization'));
      const result = yield* call.next(
        call.request,
        terminable === undefined ? context : {...context, signal: terminable.signal},
      );
      logCallEnd(logger, method, started);
      return result;
    } catch (error: unknown) {
      const explained = terminable === undefined ? error : terminable.explain(error);
      const failure = await toCallError(explained, method, logger, context.trailer);
      logCallEnd(logger, method, started, failure, explained);
      throw failure;
    } finally {
      terminable?.release();
    }
  };
}
