import {setMaxListeners} from 'node:events';
import {isAbortError} from 'abort-controller-x';
import {ServerError, Status, type ServerMiddleware} from 'nice-grpc';

export interface Terminator {
  /** Gives each server-streaming call a signal that also aborts on terminate(). */
  readonly middleware: ServerMiddleware;
  /** Ends every open stream with UNAVAILABLE, so that shutdown is not held open. */
  terminate(): void;
}

/**
 * Streams such as Watch never end on their own, and grpc-js's graceful
 * shutdown waits for every open call. (nice-grpc's terminator package does
 * this too, but is not published to every registry we build from.)
 */
export function createTerminator(): Terminator {
  const terminating = new AbortController();
  // Every open stream listens here, one listener each, removed as it ends:
  // thousands of watchers are normal (the watcher cap bounds them), so Node's
  // "possible memory leak" warning past 10 listeners would only mislead.
  setMaxListeners(0, terminating.signal);
  const middleware: ServerMiddleware = async function* terminable(call, context) {
    if (!call.responseStream) return yield* call.next(call.request, context);
    // A controller of its own per call, linked by listeners that are removed
    // when the call ends, so that no listener piles up on the server's signal.
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    if (context.signal.aborted || terminating.signal.aborted) abort();
    context.signal.addEventListener('abort', abort);
    terminating.signal.addEventListener('abort', abort);
    try {
      return yield* call.next(call.request, {...context, signal: controller.signal});
    } catch (error: unknown) {
      if (isAbortError(error) && terminating.signal.aborted && !context.signal.aborted) {
        throw new ServerError(Status.UNAVAILABLE, 'server is shutting down');
      }
      throw error;
    } finally {
      context.signal.removeEventListener('abort', abort);
      terminating.signal.removeEventListener('abort', abort);
    }
  };
  return {middleware, terminate: () => terminating.abort()};
}
