import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isAbortError} from 'abort-controller-x';
import {WatcherOverflowError} from '../src/domain/errors.js';
import {WatchHub} from '../src/domain/feed/index.js';

describe('WatchHub', () => {
  test('delivers every item to every watcher, in publish order', async () => {
    const hub = new WatchHub<number>(100);
    const controller = new AbortController();
    const watchers = Array.from({length: 3}, () => hub.subscribe(controller.signal));
    for (let i = 0; i < 10; i++) hub.publish([i]);
    for (const watcher of watchers) {
      // Everything queued comes in one batch.
      assert.deepEqual(await watcher.next(), {done: false, value: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]});
    }
    controller.abort();
    assert.equal(hub.watcherCount, 0);
  });

  test('a watcher sees only what was published after it subscribed', async () => {
    const hub = new WatchHub<string>(10);
    hub.publish(['before']);
    const watcher = hub.subscribe(new AbortController().signal);
    hub.publish(['after']);
    assert.deepEqual(await watcher.next(), {done: false, value: ['after']});
  });

  test('a reader parked in next() wakes on publish', async () => {
    const hub = new WatchHub<string>(10);
    const watcher = hub.subscribe(new AbortController().signal);
    const pending = watcher.next();
    hub.publish(['x']);
    assert.deepEqual(await pending, {done: false, value: ['x']});
  });

  test('abort wakes a parked reader with an AbortError and frees the watcher', async () => {
    const hub = new WatchHub<string>(10);
    const controller = new AbortController();
    const watcher = hub.subscribe(controller.signal);
    const pending = watcher.next();
    assert.equal(hub.watcherCount, 1);
    controller.abort();
    await assert.rejects(pending, (error) => isAbortError(error));
    assert.equal(hub.watcherCount, 0);
  });

  test('subscribing with an aborted signal registers nothing', () => {
    const hub = new WatchHub<string>(10);
    hub.subscribe(AbortSignal.abort());
    assert.equal(hub.watcherCount, 0);
  });

  test('leaving a for-await loop frees the watcher', async () => {
    const hub = new WatchHub<number>(10);
    const watcher = hub.subscribe(new AbortController().signal);
    hub.publish([1]);
    for await (const items of watcher) {
      assert.deepEqual(items, [1]);
      break;
    }
    assert.equal(hub.watcherCount, 0);
  });

  test('ends a watcher whose queue overflows, and only that one', async () => {
    const hub = new WatchHub<number>(3);
    const signal = new AbortController().signal;
    const slow = hub.subscribe(signal);
    const fast = hub.subscribe(signal);
    for (let i = 0; i < 4; i++) {
      hub.publish([i]);
      assert.deepEqual(await fast.next(), {done: false, value: [i]});
    }
    assert.equal(hub.watcherCount, 1);
    // The overflow is reported at once: the slow reader's backlog is dropped.
    assert.equal(slow.size, 0);
    await assert.rejects(slow.next(), WatcherOverflowError);
    assert.deepEqual(await slow.next(), {done: true, value: undefined});
  });

  test('a reader that fell behind gets its backlog in batches within the limit, in order', async () => {
    const hub = new WatchHub<number>(100, undefined, {items: 4, weight: 10, weigh: (item) => (item === 5 ? 10 : 1)});
    const watcher = hub.subscribe(new AbortController().signal);
    const published = [[0, 1], [2], [3, 4, 5, 6], [7, 8, 9, 10, 11]];
    for (const chunk of published) hub.publish(chunk);
    const batches: (readonly number[])[] = [];
    while (watcher.size > 0) batches.push(((await watcher.next()).value ?? []) as readonly number[]);
    // At most 4 items and a weight of 10 each (one heavy item still goes alone).
    assert.deepEqual(batches, [[0, 1, 2, 3], [4], [5], [6, 7, 8, 9], [10, 11]]);
  });

  test('a chunk that fits is handed over as it was published, so it can be encoded once for all', async () => {
    const hub = new WatchHub<number>(100, undefined, {items: 4, weight: 100, weigh: () => 1});
    const watchers = [hub.subscribe(new AbortController().signal), hub.subscribe(new AbortController().signal)];
    const chunk = [1, 2, 3];
    hub.publish(chunk);
    for (const watcher of watchers) assert.equal((await watcher.next()).value, chunk);
  });

  test('a tick hands an empty batch to a reader that waited with nothing new since the tick before', async () => {
    const hub = new WatchHub<number>(10);
    const watcher = hub.subscribe(new AbortController().signal);
    const waiting = watcher.next();
    hub.tick();
    assert.deepEqual(await waiting, {done: false, value: []});
    hub.publish([1]);
    assert.deepEqual(await watcher.next(), {done: false, value: [1]});
    const again = watcher.next();
    // Something came since the last tick: no heartbeat yet.
    hub.tick();
    hub.publish([2]);
    assert.deepEqual(await again, {done: false, value: [2]});
  });
});
