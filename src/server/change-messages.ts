import type {Change, ChangeBatch} from '../domain/change.js';
import {type BookChange, ChangeType, WatchChangesResponse} from '../gen/books/books.js';

// Watchers that keep up are each handed the very array of changes the feed
// published, so its response is encoded once for all of them (keyed by that
// array), as Watch encodes each book once. A watcher that fell behind gets a
// batch of its own, encoded for it alone.

const messages = new WeakMap<Change, BookChange>();
const encodedResponses = new WeakMap<readonly Change[], {finish(): Uint8Array}>();
/** Which batch each response was made from, so that encoding can find the batch's bytes. */
const batchOf = new WeakMap<WatchChangesResponse, ChangeBatch>();

const CHANGE_TYPES = {created: ChangeType.CHANGE_TYPE_CREATED, deleted: ChangeType.CHANGE_TYPE_DELETED} as const;

/** The message of one domain change, made once however many watchers it goes to. */
function toBookChange(change: Change): BookChange {
  let message = messages.get(change);
  if (message === undefined) {
    message = {type: CHANGE_TYPES[change.kind], book: change.book, cursor: change.cursor};
    messages.set(change, message);
  }
  return message;
}

export function toWatchChangesResponse(batch: ChangeBatch): WatchChangesResponse {
  const response = {changes: batch.changes.map(toBookChange), cursor: batch.cursor};
  batchOf.set(response, batch);
  return response;
}

/** WatchChangesResponse's codec, encoding a published batch's response once for every watcher it reaches. */
export const WatchChangesResponseEncodedOnce = {
  encode(response: WatchChangesResponse): {finish(): Uint8Array} {
    const batch = batchOf.get(response);
    // The cursor is the batch's last change's, so the changes decide the bytes.
    if (batch === undefined || batch.changes.length === 0) return WatchChangesResponse.encode(response);
    let encoded = encodedResponses.get(batch.changes);
    if (encoded === undefined) {
      const bytes = WatchChangesResponse.encode(response).finish();
      encoded = {finish: () => bytes};
      encodedResponses.set(batch.changes, encoded);
    }
    return encoded;
  },
  decode: (input: Uint8Array): WatchChangesResponse => WatchChangesResponse.decode(input),
};
