import {WatcherLimitError, WatcherOverflowError} from './errors.js';
import {Subscription} from './subscription.js';

/**
 * Fans each published item out to every open subscription, each with its own
 * bounded queue, so one slow watcher never delays or starves another.
 */
export class WatchHub<T> {
  readonly #subscriptions = new Set<Subscription<T>>();
  readonly #overflowListeners: (() => void)[] = [];

  /**
   * @param queueCapacity items one watcher may fall behind before it is ended
   * @param maxWatchers watchers allowed at once
   */
  constructor(
    readonly queueCapacity: number,
    readonly maxWatchers: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Open subscriptions: back to 0 once every watcher has gone. */
  get watcherCount(): number {
    return this.#subscriptions.size;
  }

  /**
   * Registers a watcher at once: every item published after this call returns
   * is delivered to it. Aborting `signal` ends it and frees its queue.
   * Throws WatcherLimitError when `maxWatchers` are already open.
   */
  subscribe(signal: AbortSignal): Subscription<T> {
    if (this.#subscriptions.size >= this.maxWatchers) throw new WatcherLimitError(this.maxWatchers);
    const subscription = new Subscription<T>(this.queueCapacity, signal, this.#remove);
    if (!subscription.ended) this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Delivers `item` to every watcher; a watcher whose queue is full is ended. */
  publish(item: T): void {
    for (const subscription of this.#subscriptions) {
      if (!subscription.push(item)) {
        subscription.end(new WatcherOverflowError(this.queueCapacity));
        for (const listener of this.#overflowListeners) listener();
      }
    }
  }

  /** Calls `listener` each time a watcher is ended because its queue overflowed. */
  onOverflow(listener: () => void): void {
    this.#overflowListeners.push(listener);
  }

  readonly #remove = (subscription: Subscription<T>): void => {
    this.#subscriptions.delete(subscription);
  };
}
