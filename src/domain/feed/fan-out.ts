import {AbortError} from 'abort-controller-x';
import {WatcherLimitError, WatcherOverflowError} from '../errors.js';

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

interface Waiter<T> {
  resolve(result: IteratorResult<readonly T[], undefined>): void;
  reject(error: unknown): void;
}

/** How much one `next()` hands over at most. */
export interface BatchLimit<T> {
  readonly items: number;
  /** Sum of `weigh(item)` a batch stays within (one item always fits). */
  readonly weight: number;
  readonly weigh: (item: T) => number;
}

/**
 * One watcher's bounded queue, read as an async iterator of batches.
 *
 * The hub pushes chunks without waiting; the reader pulls at its own pace,
 * and takes everything queued since its last read at once (up to the batch
 * limit): a reader that fell behind catches up in a few large batches, not
 * one message per item. A reader parked in `next()` wakes on a push, on
 * `end()`, when its signal aborts, or on `tick()` after a quiet spell, so
 * nothing polls and nothing outlives a cancelled call.
 */
export class Subscription<T> implements AsyncIterableIterator<readonly T[], undefined> {
  #chunks: (readonly T[])[] = [];
  /** Items of the first chunk already handed over. */
  #offset = 0;
  #size = 0;
  #waiter: Waiter<T> | undefined;
  /** Whether anything was queued since the last tick. */
  #busy = false;
  #ended = false;
  #error: unknown;
  readonly #signal: AbortSignal;
  readonly #onEnd: (subscription: Subscription<T>) => void;

  /**
   * @param capacity items that may wait unread before the queue overflows
   * @param limit the largest batch one `next()` returns
   * @param signal ends the subscription with an AbortError when aborted
   * @param onEnd called once, whichever way the subscription ends
   */
  constructor(
    readonly capacity: number,
    readonly limit: BatchLimit<T>,
    signal: AbortSignal,
    onEnd: (subscription: Subscription<T>) => void,
  ) {
    this.#signal = signal;
    this.#onEnd = onEnd;
    if (signal.aborted) {
      this.end(new AbortError());
    } else {
      signal.addEventListener('abort', this.#onAbort, {once: true});
    }
  }

  /** Items queued and not yet read. */
  get size(): number {
    return this.#size;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Queues `items`; returns false, queueing nothing, if they do not fit.
   * Any chunk fits an empty queue, so a capacity smaller than one commit's
   * changes slows a watcher down instead of ending it.
   */
  push(items: readonly T[]): boolean {
    if (this.#ended) return false;
    if (items.length === 0) return true;
    if (this.#size > 0 && this.#size + items.length > this.capacity) return false;
    this.#chunks.push(items);
    this.#size += items.length;
    this.#busy = true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({done: false, value: this.#take()});
    }
    return true;
  }

  /**
   * Called at a steady pace: a reader that has waited, with nothing queued,
   * since the tick before is handed an empty batch (a heartbeat). One shared
   * clock for every watcher rather than a timer per wait.
   */
  tick(): void {
    const waiter = this.#waiter;
    if (!this.#busy && waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({done: false, value: []});
    }
    this.#busy = false;
  }

  /**
   * Ends the subscription. With an error, queued items are dropped (the
   * reader is told at once); without one, the reader drains them first.
   */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (error !== undefined) this.#clear();
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#onEnd(this);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (error === undefined) waiter.resolve({done: true, value: undefined});
    else waiter.reject(error);
  }

  /** The next batch: every queued item up to the batch limit; empty after a quiet spell (see `tick`). */
  next(): Promise<IteratorResult<readonly T[], undefined>> {
    if (this.#size > 0) return Promise.resolve({done: false, value: this.#take()});
    if (this.#ended) {
      const error = this.#error;
      // Report an error once; after that the iterator is simply done.
      this.#error = undefined;
      return error === undefined ? Promise.resolve({done: true, value: undefined}) : Promise.reject(error);
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error('Subscription.next() called while another call is pending'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = {resolve, reject};
    });
  }

  /** Called by `for await` on break and by `yield*` when the consumer leaves. */
  return(): Promise<IteratorResult<readonly T[], undefined>> {
    this.end();
    this.#clear();
    return Promise.resolve({done: true, value: undefined});
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  readonly #onAbort = (): void => {
    this.end(new AbortError());
  };

  /** Up to the batch limit from the front of the queue; a whole chunk as it was pushed when it fits alone. */
  #take(): readonly T[] {
    const [first] = this.#chunks;
    if (first === undefined) return [];
    if (this.#offset === 0 && (this.#chunks.length === 1 || first.length >= this.limit.items) && this.#fits(first)) {
      this.#chunks.shift();
      this.#size -= first.length;
      return first;
    }
    const batch: T[] = [];
    let weight = 0;
    while (batch.length < this.limit.items) {
      const [chunk] = this.#chunks;
      if (chunk === undefined || this.#offset >= chunk.length) break;
      const item = chunk[this.#offset] as T;
      weight += this.limit.weigh(item);
      if (batch.length > 0 && weight > this.limit.weight) break;
      batch.push(item);
      this.#size--;
      if (++this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    return batch;
  }

  #fits(chunk: readonly T[]): boolean {
    if (chunk.length > this.limit.items) return false;
    let weight = 0;
    for (const item of chunk) weight += this.limit.weigh(item);
    return weight <= this.limit.weight || chunk.length === 1;
  }

  #clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#size = 0;
  }
}
