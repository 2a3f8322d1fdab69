import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {MAX_TEXT_LENGTH, type Book} from '../src/domain/book.js';
import {Catalogue} from '../src/domain/catalogue.js';
import {BookExistsError, BookNotFoundError, InvalidArgumentError, WatcherOverflowError} from '../src/domain/errors.js';
import {defaultConfig} from '../src/server/config.js';
import {MemoryStore} from '../src/store/memory-store.js';

function newCatalogue(seed: Book[] = []): Promise<Catalogue> {
  return Catalogue.open(new MemoryStore(seed), {...defaultConfig(), watchQueueSize: 16});
}

const dune: Book = {id: 7, title: 'Dune', author: 'Frank Herbert'};

function assertInvalid(field: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
    assert.equal(error.violations[0].field, field);
    return true;
  };
}

describe('Catalogue', () => {
  test('lists books in insertion order, a re-inserted book last', async () => {
    const catalogue = await newCatalogue([{id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'}]);
    await catalogue.insert({id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'});
    await catalogue.insert(dune);
    await catalogue.delete(123);
    await catalogue.insert({id: 123, title: 'Bleak House', author: 'Charles Dickens'});
    assert.deepEqual(
      (await catalogue.listPage(1000, '')).books.map((book) => book.id),
      [2, 7, 123],
    );
  });

  test('never holds two books with one id', async () => {
    const catalogue = await newCatalogue([dune]);
    await assert.rejects(catalogue.insert({...dune, title: 'Dune Messiah'}), BookExistsError);
    assert.deepEqual((await catalogue.listPage(1000, '')).books, [dune]);
  });

  test('get and delete name the id they cannot find', async () => {
    const catalogue = await newCatalogue();
    await assert.rejects(catalogue.get(404), (error) => error instanceof BookNotFoundError && error.id === 404);
    await assert.rejects(catalogue.delete(404), (error) => error instanceof BookNotFoundError && error.id === 404);
  });

  test('rejects ids that are not positive', async () => {
    const catalogue = await newCatalogue();
    await assert.rejects(catalogue.insert({...dune, id: 0}), assertInvalid('id'));
    await assert.rejects(catalogue.insert({...dune, id: -1}), assertInvalid('id'));
    await assert.rejects(catalogue.get(0), assertInvalid('id'));
    await assert.rejects(catalogue.delete(-5), assertInvalid('id'));
  });

  test('rejects empty, blank and over-long titles and authors', async () => {
    const catalogue = await newCatalogue();
    await assert.rejects(catalogue.insert({...dune, title: ''}), assertInvalid('title'));
    await assert.rejects(catalogue.insert({...dune, title: ' \t\n'}), assertInvalid('title'));
    await assert.rejects(catalogue.insert({...dune, author: ''}), assertInvalid('author'));
    await assert.rejects(catalogue.insert({...dune, author: 'x'.repeat(MAX_TEXT_LENGTH + 1)}), assertInvalid('author'));
    assert.deepEqual((await catalogue.listPage(1000, '')).books, []);
  });

  test('counts the length limit in characters, not UTF-16 units', async () => {
    const catalogue = await newCatalogue();
    // 256 emoji are 512 UTF-16 units but 256 characters: allowed.
    await catalogue.insert({...dune, title: '📚'.repeat(MAX_TEXT_LENGTH)});
    await assert.rejects(
      catalogue.insert({...dune, id: 8, title: '📚'.repeat(MAX_TEXT_LENGTH + 1)}),
      assertInvalid('title'),
    );
  });

  test('tells watchers about each stored insert, not about rejected ones', async () => {
    const catalogue = await newCatalogue([dune]);
    const subscription = catalogue.watch(new AbortController().signal);
    await assert.rejects(catalogue.insert(dune), BookExistsError);
    const emma = {id: 8, title: 'Emma', author: 'Jane Austen'};
    await catalogue.insert(emma);
    assert.deepEqual(await subscription.next(), {done: false, value: emma});
  });

  test('a watcher of changes that fell behind gets its backlog in one batch, then resumes from its cursor after an overflow', async () => {
    const catalogue = await Catalogue.open(new MemoryStore(), {...defaultConfig(), watchQueueSize: 60});
    const controller = new AbortController();
    const changes = await catalogue.changes({afterCursor: '', includeExisting: false}, controller.signal);
    const start = await changes.next();
    assert.deepEqual(start.done === false && start.value.changes, []);
    // Ensures the watcher is subscribed (the first read after the heartbeat does it).
    const pending = changes.next();
    for (let id = 1; id <= 50; id++) await catalogue.insert({id, title: `T${id}`, author: 'A'});
    const first = await pending;
    const rest = await changes.next();
    const batches = [first, rest].map((result) =>
      result.done === true ? [] : result.value.changes.map((change) => change.book.id),
    );
    assert.deepEqual(
      batches.flat(),
      Array.from({length: 50}, (_, i) => i + 1),
    );
    assert.ok((batches[1]?.length ?? 0) >= 49, 'the backlog came as one batch');
    const lastCursor = rest.done === true ? '' : rest.value.cursor;
    // 61 more than it reads: the watch ends, and its cursor resumes it without a loss.
    for (let id = 51; id <= 111; id++) await catalogue.insert({id, title: `T${id}`, author: 'A'});
    await assert.rejects(changes.next(), WatcherOverflowError);
    controller.abort();
    const resumed = await catalogue.changes(
      {afterCursor: lastCursor, includeExisting: false},
      new AbortController().signal,
    );
    const ids: number[] = [];
    while (ids.length < 61) {
      const next = await resumed.next();
      if (next.done === true) break;
      ids.push(...next.value.changes.map((change) => change.book.id));
    }
    assert.deepEqual(
      ids,
      Array.from({length: 61}, (_, i) => i + 51),
    );
    await resumed.return();
    assert.equal(catalogue.hub.watcherCount, 0);
  });
});
