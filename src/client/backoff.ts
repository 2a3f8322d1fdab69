/**
 * Delays before each attempt to open a stream again: doubling from `firstMs`
 * up to `maxMs`, each drawn at random from the upper half of its step
 * ("equal jitter"), so that the many watchers of one restarted server come
 * back spread over that half rather than all in the same few milliseconds.
 *
 * The formula is the one of abort-controller-x's `retry` and of
 * nice-grpc-client-middleware-retry (which the client's reads use):
 * `round(step * (1 + random) / 2)`. `retry` itself does not fit the loops
 * that use this: `followChanges` yields changes from inside an attempt, which
 * a callback cannot, and `retry`'s reset makes the attempt after a break
 * immediate, which would send every watcher of a restarted server back at
 * the same moment; here a reset goes back to the first step, jitter included.
 */
export class Backoff {
  #step: number;

  constructor(
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.#step = firstMs;
  }

  /** The delay before the next attempt, in whole milliseconds; the step after it doubles. */
  next(): number {
    const step = this.#step;
    this.#step = Math.min(step * 2, this.maxMs);
    return Math.round((step * (1 + Math.random())) / 2);
  }

  /** After a stream opened: the next break waits a first step again. */
  reset(): void {
    this.#step = this.firstMs;
  }
}
