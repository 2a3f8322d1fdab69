import {isAbortError} from 'abort-controller-x';
import {ServerError, Status, type ServerMiddleware} from 'nice-grpc';
import type {Logger, LogLevel} from './logger.js';

type EventLevel = Exclude<LogLevel, 'silent'>;

/**
 * Logs every failed call once (warn, or error for server faults) and, at
 * debug level, every call, with its method, status and duration.
 */
export function callLoggingMiddleware(logger: Logger): ServerMiddleware {
  return async function* callLogging(call, context) {
    const started = performance.now();
    const log = (level: EventLevel, code: Status, details?: string): void => {
      if (!logger.isEnabled(level)) return;
      const fields = {method: call.method.path, code: Status[code], ms: round(performance.now() - started)};
      logger[level]('call', details === undefined ? fields : {...fields, details});
    };
    try {
      const result = yield* call.next(call.request, context);
      log('debug', Status.OK);
      return result;
    } catch (error: unknown) {
      if (isAbortError(error)) {
        // The client went away: the normal end of a watch, not a failure.
        log('debug', Status.CANCELLED);
      } else if (error instanceof ServerError) {
        log(isServerFault(error.code) ? 'error' : 'warn', error.code, error.details);
      } else {
        log('error', Status.UNKNOWN, String(error));
      }
      throw error;
    }
  };
}

function isServerFault(code: Status): boolean {
  return code === Status.INTERNAL || code === Status.UNKNOWN || code === Status.DATA_LOSS;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
