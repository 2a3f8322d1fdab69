import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {Book} from '../src/domain/book.js';
import type {BookStore} from '../src/domain/book-store.js';
import {BookExistsError, ChangesTrimmedError} from '../src/domain/errors.js';
import {RUNNABLE_STORES} from './helpers/stores.js';
import {eventually} from './helpers/eventually.js';

const book = (id: number): Book => ({id, title: `Title ${id}`, author: `Author ${id}`});

async function readAllPages(store: BookStore, limit: number): Promise<number[][]> {
  const pages: number[][] = [];
  let after: number | undefined = 0;
  while (after !== undefined) {
    const page = await store.listPage(after, limit);
    pages.push(page.books.map((b) => b.id));
    after = page.next;
  }
  return pages;
}

async function listAll(store: BookStore): Promise<Book[]> {
  const books: Book[] = [];
  for (let after: number | undefined = 0; after !== undefined; ) {
    const page = await store.listPage(after, 7);
    books.push(...page.books);
    after = page.next;
  }
  return books;
}

for (const kind of RUNNABLE_STORES) {
  describe(`${kind.name} store`, () => {
    const withStore = (name: string, body: (store: BookStore) => Promise<void>, seed: Book[] = []) =>
      test(name, async () => {
        const location = kind.create();
        const store = await location.open(seed);
        try {
          await body(store);
        } finally {
          await store.close();
          await location.dispose();
        }
      });

    withStore(
      'a new store holds its seed',
      async (store) => {
        assert.deepEqual(await listAll(store), [book(123)]);
      },
      [book(123)],
    );

    withStore('insert, get, delete; ids are unique', async (store) => {
      await store.insert(book(1));
      assert.deepEqual(await store.get(1), book(1));
      await assert.rejects(store.insert({...book(1), title: 'Other'}), BookExistsError);
      assert.equal(await store.delete(1), true);
      assert.equal(await store.delete(1), false);
      assert.equal(await store.get(1), undefined);
    });

    withStore('concurrent writes: a taken id fails alone; the others are stored and logged once', async (store) => {
      await store.insert(book(1));
      const outcomes = await Promise.allSettled([
        store.insert(book(2)),
        store.insert({...book(1), title: 'Other'}),
        store.insert(book(3)),
        store.delete(4),
      ]);
      assert.deepEqual(
        outcomes.map((outcome) =>
          outcome.status === 'fulfilled' ? (outcome.value ?? 'ok') : outcome.reason.constructor.name,
        ),
        ['ok', 'BookExistsError', 'ok', false],
      );
      assert.deepEqual((await listAll(store)).map((b) => b.id).sort(), [1, 2, 3]);
      assert.equal((await store.get(1))?.title, 'Title 1');
      const logged = await store.readChanges(0, 100);
      assert.deepEqual(
        logged.map((change) => change.kind),
        ['created', 'created', 'created'],
      );
      assert.deepEqual(logged.map((change) => change.book.id).sort(), [1, 2, 3]);
    });

    withStore('lists in insertion order; a re-inserted id goes last', async (store) => {
      for (const id of [5, 3, 9]) await store.insert(book(id));
      await store.delete(5);
      await store.insert(book(5));
      assert.deepEqual(
        (await listAll(store)).map((b) => b.id),
        [3, 9, 5],
      );
    });

    withStore('pages through every book once, in order, with no empty last page', async (store) => {
      for (let id = 1; id <= 25; id++) await store.insert(book(id));
      const pages = await readAllPages(store, 10);
      assert.deepEqual(
        pages.map((page) => page.length),
        [10, 10, 5],
      );
      assert.deepEqual(
        pages.flat(),
        Array.from({length: 25}, (_, i) => i + 1),
      );
      assert.deepEqual(await readAllPages(store, 25), [pages.flat()]);
    });

    withStore('deletes between pages never repeat a book', async (store) => {
      for (let id = 1; id <= 6; id++) await store.insert(book(id));
      const first = await store.listPage(0, 3);
      await store.delete(3);
      await store.delete(4);
      const second = await store.listPage(first.next ?? -1, 3);
      assert.deepEqual(
        first.books.map((b) => b.id),
        [1, 2, 3],
      );
      assert.deepEqual(
        second.books.map((b) => b.id),
        [5, 6],
      );
      assert.equal(second.next, undefined);
    });

    withStore(
      'concurrent inserts of one id: one is stored, exactly as sent, and acknowledged; the other is ALREADY_EXISTS',
      async (store) => {
        const outcomes = await Promise.allSettled([
          store.insert({id: 5, title: 'First', author: 'A'}),
          store.insert({id: 5, title: 'Second', author: 'B'}),
          store.insert(book(6)),
        ]);
        const stored = await store.get(5);
        const winner = outcomes.findIndex((outcome) => outcome.status === 'fulfilled');
        assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'fulfilled', 'rejected']);
        assert.equal(stored?.title, winner === 0 ? 'First' : 'Second');
        assert.ok(
          outcomes.some((outcome) => outcome.status === 'rejected' && outcome.reason instanceof BookExistsError),
        );
        assert.deepEqual(await store.get(6), book(6));
      },
    );

    withStore(
      'logs each committed insert and delete in order, at positions with no gap, and wakes listeners',
      async (store) => {
        let wakeUps = 0;
        store.onChanges(() => wakeUps++);
        assert.equal(await store.lastPosition(), 0);
        await store.insert(book(1));
        await assert.rejects(store.insert(book(1)), BookExistsError);
        assert.equal(await store.delete(9), false);
        await store.insert(book(2));
        assert.equal(await store.delete(1), true);
        const expected = [
          {kind: 'created', book: book(1), position: 1},
          {kind: 'created', book: book(2), position: 2},
          {kind: 'deleted', book: book(1), position: 3},
        ];
        assert.deepEqual(await store.readChanges(0, 10), expected);
        assert.deepEqual(await store.readChanges(1, 1), expected.slice(1, 2));
        assert.deepEqual(await store.readChanges(3, 10), []);
        assert.equal(await store.lastPosition(), 3);
        await eventually('listeners are woken', () => wakeUps > 0);
      },
    );

    withStore(
      'trimming keeps the last changes; reading from before them is refused, naming the oldest kept',
      async (store) => {
        for (let id = 1; id <= 5; id++) await store.insert(book(id));
        await store.trimChanges(2);
        assert.deepEqual(
          (await store.readChanges(3, 10)).map((change) => change.position),
          [4, 5],
        );
        await assert.rejects(
          store.readChanges(2, 10),
          (error) => error instanceof ChangesTrimmedError && error.oldest === 3,
        );
        await assert.rejects(store.readChanges(0, 10), ChangesTrimmedError);
        await store.trimChanges(0);
        assert.deepEqual(
          (await store.readChanges(4, 10)).map((change) => change.position),
          [5],
        );
        assert.equal(await store.lastPosition(), 5);
      },
    );

    withStore(
      'a snapshot reads the books as of its position, whatever is written meanwhile',
      async (store) => {
        for (let id = 1; id <= 5; id++) await store.insert(book(id));
        const snapshot = await store.snapshot();
        await store.delete(2);
        await store.insert(book(6));
        const seen: number[][] = [];
        await store.delete(4);
        for await (const page of snapshot.pages(2)) {
          seen.push(page.map((b) => b.id));
          await store.delete(seen.length + 4);
        }
        assert.equal(snapshot.position, 5);
        assert.deepEqual(seen, [[1, 2], [3, 4], [5]]);
        assert.deepEqual(
          (await listAll(store)).map((b) => b.id),
          [1, 3],
        );
      },
      [],
    );

    withStore('keeps text exactly, including non-ASCII characters', async (store) => {
      const unusual = {id: 77, title: 'Les Misérables 📚 — «tome 1»', author: 'O\'Brien "Quote" 李白'};
      await store.insert(unusual);
      assert.deepEqual(await store.get(77), unusual);
    });

    if (kind.name !== 'memory') {
      test('data survives reopening, and the seed is only added to a new store', async () => {
        const location = kind.create();
        try {
          const first = await location.open([book(123)]);
          await first.insert(book(1));
          await first.delete(123);
          await first.close();
          const second = await location.open([book(123)]);
          assert.deepEqual(await listAll(second), [book(1)]);
          // The log and the catalogue's identity (in every cursor) survive too.
          assert.equal(second.catalogueId, first.catalogueId);
          assert.deepEqual(
            (await second.readChanges(0, 10)).map((change) => change.kind),
            ['created', 'deleted'],
          );
          await second.close();
          const other = kind.create();
          const elsewhere = await other.open();
          assert.notEqual(elsewhere.catalogueId, first.catalogueId);
          await elsewhere.close();
          await other.dispose();
        } finally {
          await location.dispose();
        }
      });
    }
  });
}
