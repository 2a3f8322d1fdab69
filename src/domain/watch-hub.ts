import {WatcherLimitError, WatcherOverflowError} from './errors.js';
import {Subscription, type BatchLimit} from './subscription.js';

/**
 * Fans each published chunk out to every open subscription, each with its
 * own bounded queue, so one slow watcher never delays or starves another.
 */
export class WatchHub<T> {
  readonly #subscriptions = new Set<Subscription<T>>();
  readonly #overflowListeners: (() => void)[] = [];
  #subscribed = 0;
  /** Watches accepted but not subscribed yet (sending a snapshot or a catch-up): they count against the limit. */
  #reserved = 0;

  /**
   * @param queueCapacity items one watcher may fall behind before it is ended
   * @param maxWatchers watchers allowed at once
   * @param batchLimit the most one watcher is handed at once (default: all it has queued)
   */
  constructor(
    readonly queueCapacity: number,
    readonly maxWatchers: number = Number.POSITIVE_INFINITY,
    readonly batchLimit: BatchLimit<T> = {items: Number.POSITIVE_INFINITY, weight: 0, weigh: () => 0},
  ) {}

  /** Open subscriptions: back to 0 once every watcher has gone. */
  get watcherCount(): number {
    return this.#subscriptions.size;
  }

  /** Subscriptions ever made: tells whether one was made between two moments. */
  get subscribedCount(): number {
    return this.#subscribed;
  }

  /** Throws WatcherLimitError when `maxWatchers` are already open. */
  checkRoom(): void {
    if (this.#subscriptions.size + this.#reserved >= this.maxWatchers) throw new WatcherLimitError(this.maxWatchers);
  }

  /**
   * Holds a watcher's place while it is not subscribed yet (it is sent a
   * snapshot or the log first), so that those count against `maxWatchers`
   * too. Returns the function that gives the place back (once; call it right
   * before subscribing, or when the watch ends). Throws WatcherLimitError.
   */
  reserve(): () => void {
    this.checkRoom();
    this.#reserved++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#reserved--;
    };
  }

  /**
   * Registers a watcher at once: everything published after this call
   * returns is delivered to it. Aborting `signal` ends it and frees its
   * queue. Throws WatcherLimitError when `maxWatchers` are already open.
   */
  subscribe(signal: AbortSignal): Subscription<T> {
    this.checkRoom();
    const subscription = new Subscription<T>(this.queueCapacity, this.batchLimit, signal, this.#remove);
    this.#subscribed++;
    if (!subscription.ended) this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Delivers `items` to every watcher; a watcher whose queue cannot take them is ended. */
  publish(items: readonly T[]): void {
    for (const subscription of this.#subscriptions) {
      if (!subscription.push(items)) {
        subscription.end(new WatcherOverflowError(this.queueCapacity));
        for (const listener of this.#overflowListeners) listener();
      }
    }
  }

  /** Hands an empty batch to every watcher that has been waiting, with nothing new, since the last tick. */
  tick(): void {
    for (const subscription of this.#subscriptions) subscription.tick();
  }

  /** Ends every watcher with `error`. */
  endAll(error: unknown): void {
    for (const subscription of this.#subscriptions) subscription.end(error);
  }

  /** Calls `listener` each time a watcher is ended because its queue overflowed. */
  onOverflow(listener: () => void): void {
    this.#overflowListeners.push(listener);
  }

  readonly #remove = (subscription: Subscription<T>): void => {
    this.#subscriptions.delete(subscription);
  };
}
