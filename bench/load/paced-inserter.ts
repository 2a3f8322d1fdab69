import type {Client} from '@grpc/grpc-js';
import {setTimeout as sleep} from 'node:timers/promises';
import {performance} from 'node:perf_hooks';
import {benchBook, monotonicMicros, stampedBook} from '../bench-books.js';
import {BOOK_METHODS} from '../wire/book-methods.js';
import {unaryCall} from '../wire/grpc-client.js';

export interface InsertOutcome {
  readonly sent: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly seconds: number;
}

/**
 * Inserts `count` books at `perSecond` on a fixed schedule (book i at
 * start + i / perSecond) so that a slow answer delays no later insert. Ids
 * run from `firstId`. Stamped books carry their send time in the title;
 * unstamped ones (warm-up) are delivered but not timed.
 */
export async function insertAtRate(
  client: Client,
  count: number,
  perSecond: number,
  firstId: number,
  stamped: boolean,
): Promise<InsertOutcome> {
  const started = performance.now();
  const calls: Promise<unknown>[] = [];
  let failed = 0;
  let firstError: string | undefined;
  for (let index = 0; index < count; index++) {
    const due = started + (index * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = firstId + index;
    const book = stamped ? stampedBook(id, monotonicMicros()) : benchBook(id);
    calls.push(
      unaryCall(client, BOOK_METHODS.insert, book).catch((error: unknown) => {
        failed++;
        firstError ??= String(error);
      }),
    );
  }
  await Promise.all(calls);
  return {
    sent: count,
    failed,
    ...(firstError === undefined ? {} : {firstError}),
    seconds: (performance.now() - started) / 1000,
  };
}
