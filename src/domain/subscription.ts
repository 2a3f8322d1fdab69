import {AbortError} from 'abort-controller-x';

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

/**
 * One watcher's bounded queue, read as an async iterator.
 *
 * The hub pushes without waiting; the reader pulls at its own pace. A reader
 * parked in `next()` wakes on a push, on `end()`, or when its signal aborts,
 * so nothing polls and nothing outlives a cancelled call.
 */
export class Subscription<T> implements AsyncIterableIterator<T, undefined> {
  #items: T[] = [];
  #head = 0;
  #waiter: Waiter<T> | undefined;
  #ended = false;
  #error: unknown;
  readonly #signal: AbortSignal;
  readonly #onEnd: (subscription: Subscription<T>) => void;

  /**
   * @param capacity books that may wait unread before the queue overflows
   * @param signal ends the subscription with an AbortError when aborted
   * @param onEnd called once, whichever way the subscription ends
   */
  constructor(
    readonly capacity: number,
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

  get size(): number {
    return this.#items.length - this.#head;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Queues an item; returns false, queueing nothing, if the queue is full. */
  push(item: T): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({done: false, value: item});
      return true;
    }
    if (this.size >= this.capacity) return false;
    this.#items.push(item);
    return true;
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

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.size > 0) {
      const value = this.#items[this.#head] as T;
      this.#head++;
      if (this.#head === this.#items.length) this.#clear();
      return Promise.resolve({done: false, value});
    }
    if (this.#ended) {
      const error = this.#error;
      // Report an error once; after that the iterator is simply done.
      this.#error = undefined;
      return error === undefined
        ? Promise.resolve({done: true, value: undefined})
        : Promise.reject(error);
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error('Subscription.next() called while another call is pending'));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = {resolve, reject};
    });
  }

  /** Called by `for await` on break and by `yield*` when the consumer leaves. */
  return(): Promise<IteratorResult<T, undefined>> {
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

  #clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
