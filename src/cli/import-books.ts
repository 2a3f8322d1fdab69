import {ClientError, Status} from 'nice-grpc';
import type {BooksClient} from '../client/client.js';
import type {BookRecord} from './book-records.js';

export interface InvalidLine {
  readonly line: number;
  readonly reason: string;
}

export interface ImportSummary {
  inserted: number;
  alreadyExisted: number;
  invalid: number;
  /** The first invalid lines, in file order (at most MAX_LISTED_INVALID). */
  readonly invalidLines: InvalidLine[];
  seconds: number;
}

/** Invalid lines listed in the summary; past this they are only counted. */
export const MAX_LISTED_INVALID = 100;

export interface ImportOptions {
  /** Inserts in flight at once. */
  readonly concurrency: number;
  /** Called now and then with the running totals. */
  readonly onProgress?: (summary: Readonly<ImportSummary>) => void;
}

/**
 * Inserts every book read, `concurrency` at a time, so that a large file
 * streams through in bounded memory. A book the server already has, or
 * rejects as invalid, is counted and the import goes on; any other failure
 * (the server is unreachable, say) stops it.
 */
export async function importBooks(
  client: BooksClient,
  records: AsyncIterable<BookRecord>,
  {concurrency, onProgress}: ImportOptions,
): Promise<ImportSummary> {
  const started = performance.now();
  const summary: ImportSummary = {inserted: 0, alreadyExisted: 0, invalid: 0, invalidLines: [], seconds: 0};
  const invalid = (line: number, reason: string): void => {
    summary.invalid++;
    if (summary.invalidLines.length < MAX_LISTED_INVALID) summary.invalidLines.push({line, reason});
  };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for await (const record of records) {
    if (failure !== undefined) break;
    if (record.book === undefined) {
      invalid(record.line, record.error);
      continue;
    }
    const insert = client.insert(record.book).then(
      () => void summary.inserted++,
      (error: unknown) => {
        if (error instanceof ClientError && error.code === Status.ALREADY_EXISTS) summary.alreadyExisted++;
        else if (error instanceof ClientError && error.code === Status.INVALID_ARGUMENT)
          invalid(record.line, error.details);
        else failure ??= error;
      },
    );
    const tracked = insert.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    onProgress?.(summary);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  summary.invalidLines.sort((a, b) => a.line - b.line);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
