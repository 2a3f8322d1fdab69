import {createHash, timingSafeEqual} from 'node:crypto';
import {ServerError, Status, type ServerMiddleware} from 'nice-grpc';

/**
 * Checks the `authorization` header of a call to one of `protectedPaths`:
 * throws UNAUTHENTICATED when it is missing, PERMISSION_DENIED when it is
 * wrong. Tokens are compared as SHA-256 digests in constant time, so neither
 * their content nor their length leaks through timing. The gRPC port and the
 * web port check alike, since their paths are the same.
 */
export function tokenCheck(
  token: string,
  protectedPaths: ReadonlySet<string>,
): (path: string, authorization: string | undefined) => void {
  const expected = digest(token);
  return (path, authorization) => {
    if (!protectedPaths.has(path)) return;
    const presented = authorization?.match(/^Bearer (.+)$/i)?.[1];
    if (presented === undefined) {
      throw new ServerError(Status.UNAUTHENTICATED, 'this call needs an "authorization: Bearer <token>" header');
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new ServerError(Status.PERMISSION_DENIED, 'the token is not valid for this call');
    }
  };
}

/** Requires `authorization: Bearer <token>` on the calls whose paths are in `protectedPaths` (tokenCheck). */
export function tokenAuthMiddleware(token: string, protectedPaths: ReadonlySet<string>): ServerMiddleware {
  const check = tokenCheck(token, protectedPaths);
  return async function* tokenAuth(call, context) {
    check(call.method.path, context.metadata.get('authorization'));
    return yield* call.next(call.request, context);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
