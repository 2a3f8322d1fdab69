import {InvalidArgumentError} from './errors.js';

// A cursor is opaque to clients. Inside it is the catalogue's identity (so a
// cursor from another database or schema is refused, not misread as a
// position here) and a position in that catalogue's change log, behind a
// version prefix so the format can change later.
const VERSION = 'c1';

export function encodeCursor(catalogueId: string, position: number): string {
  return Buffer.from(`${VERSION}:${catalogueId}:${position}`).toString('base64url');
}

/** The log position in `cursor`. Throws InvalidArgumentError unless this catalogue issued it. */
export function decodeCursor(cursor: string, catalogueId: string): number {
  const [version, issuer, text, ...rest] = Buffer.from(cursor, 'base64url').toString().split(':');
  const position = /^\d+$/.test(text ?? '') ? Number(text) : Number.NaN;
  if (version !== VERSION || rest.length > 0 || !Number.isSafeInteger(position)) {
    throw new InvalidArgumentError({field: 'after_cursor', reason: 'is not a cursor this service issued'});
  }
  if (issuer !== catalogueId) {
    throw new InvalidArgumentError({
      field: 'after_cursor',
      reason: 'comes from another catalogue (another database or schema)',
    });
  }
  return position;
}
