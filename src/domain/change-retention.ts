import type {BookStore} from './book-store.js';

/** How often the change log is trimmed: retention is "at least the last N", so a little more may stay a while. */
export const TRIM_EVERY_MS = 5000;

/**
 * Trims the store's change log to its last `keep` changes now and then, in
 * the background; returns the function that stops it.
 */
export function retainChanges(
  store: BookStore,
  keep: number,
  onError: (error: unknown) => void,
  everyMs: number = TRIM_EVERY_MS,
): () => void {
  let trimming = false;
  const timer = setInterval(() => {
    if (trimming) return;
    trimming = true;
    store
      .trimChanges(keep)
      .catch(onError)
      .finally(() => (trimming = false));
  }, everyMs);
  // Trimming never keeps the process alive by itself.
  timer.unref();
  return () => clearInterval(timer);
}
