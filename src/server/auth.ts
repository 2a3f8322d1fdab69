import {createHash, timingSafeEqual} from 'node:crypto';

/** A call that needs a token came without one: UNAUTHENTICATED (error-status.ts). */
export class TokenMissingError extends Error {
  override readonly name = 'TokenMissingError';
  constructor() {
    super('this call needs an "authorization: Bearer <token>" header');
  }
}

/** A call came with a token that is not the server's: PERMISSION_DENIED (error-status.ts). */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor() {
    super('the token is not valid for this call');
  }
}

/** Throws unless a call to `path` with this `authorization` header may go on. */
export type TokenCheck = (path: string, authorization: string | undefined) => void;

/**
 * Checks the `authorization` header of a call to one of `protectedPaths`:
 * throws TokenMissingError when it is missing, TokenRejectedError when it is
 * wrong. Tokens are compared as SHA-256 digests in constant time, so neither
 * their content nor their length leaks through timing. The gRPC port
 * (call-middleware.ts) and the web port (web-calls.ts) check alike, since
 * their paths are the same.
 */
export function tokenCheck(token: string, protectedPaths: ReadonlySet<string>): TokenCheck {
  const expected = digest(token);
  return (path, authorization) => {
    if (!protectedPaths.has(path)) return;
    const presented = authorization?.match(/^Bearer (.+)$/i)?.[1];
    if (presented === undefined) throw new TokenMissingError();
    if (!timingSafeEqual(digest(presented), expected)) throw new TokenRejectedError();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
