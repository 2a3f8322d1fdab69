import {createHash, timingSafeEqual} from 'node:crypto';
import {ServerError, Status, type ServerMiddleware} from 'nice-grpc';

/**
 * Requires `authorization: Bearer <token>` on the calls whose paths are in
 * `protectedPaths`: missing is UNAUTHENTICATED, wrong is PERMISSION_DENIED.
 * Tokens are compared as SHA-256 digests in constant time, so neither their
 * content nor their length leaks through timing.
 */
export function tokenAuthMiddleware(token: string, protectedPaths: ReadonlySet<string>): ServerMiddleware {
  const expected = digest(token);
  return async function* tokenAuth(call, context) {
    if (protectedPaths.has(call.method.path)) {
      const header = context.metadata.get('authorization');
      const presented = header?.match(/^Bearer (.+)$/i)?.[1];
      if (presented === undefined) {
        throw new ServerError(Status.UNAUTHENTICATED, 'this call needs an "authorization: Bearer <token>" header');
      }
      if (!timingSafeEqual(digest(presented), expected)) {
        throw new ServerError(Status.PERMISSION_DENIED, 'the token is not valid for this call');
      }
    }
    return yield* call.next(call.request, context);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
