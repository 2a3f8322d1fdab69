import {InvalidArgumentError} from './errors.js';

// A page token is opaque to clients (AIP-158): it wraps the store position of
// the last book sent, with a version prefix so the format can change later.
const PREFIX = 'v1:';

export function encodePageToken(position: number): string {
  return Buffer.from(`${PREFIX}${position}`).toString('base64url');
}

/** Position to read after; 0 for an empty token. Throws InvalidArgumentError. */
export function decodePageToken(token: string): number {
  if (token === '') return 0;
  const text = Buffer.from(token, 'base64url').toString();
  const position = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new InvalidArgumentError({field: 'page_token', reason: 'is not a token this server issued'});
  }
  return position;
}
