import {setMaxListeners} from 'node:events';
import {isAbortError} from 'abort-controller-x';
import {ServerError, Status} from 'nice-grpc';

/** A streaming call's signal, aborted by the client or by terminate(). */
export interface TerminableSignal {
  readonly signal: AbortSignal;
  /** The error the call should end with, given what it threw. */
  explain(error: unknown): unknown;
  /** Unlinks from the server's signal: call once the call has ended. */
  release(): void;
}

export interface Terminator {
  /** Links a server-streaming call's signal (`callSignal`) to terminate(). */
  link(callSignal: AbortSignal): TerminableSignal;
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
  return {
    link(callSignal) {
      // A controller of its own per call, linked by listeners that are removed
      // when the call ends, so that no listener piles up on the server's signal.
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      if (callSignal.aborted || terminating.signal.aborted) abort();
      callSignal.addEventListener('abort', abort);
      terminating.signal.addEventListener('abort', abort);
      return {
        signal: controller.signal,
        explain(error) {
          if (isAbortError(error) && terminating.signal.aborted && !callSignal.aborted) {
            return new ServerError(Status.UNAVAILABLE, 'server is shutting down');
          }
          return error;
        },
        release() {
          callSignal.removeEventListener('abort', abort);
          terminating.signal.removeEventListener('abort', abort);
        },
      };
    },
    terminate: () => terminating.abort(),
  };
}
