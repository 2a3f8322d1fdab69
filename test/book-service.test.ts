import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {ClientError, Status} from 'nice-grpc';
import {MAX_TEXT_LENGTH} from '../src/domain/book.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';

function rejectsWith(code: Status, detail: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    assert.equal(Status[error.code], Status[code]);
    assert.match(error.details, typeof detail === 'string' ? new RegExp(`\\b${detail}\\b`) : detail);
    return true;
  };
}

describe('BookService over the wire', () => {
  let books: TestServer;
  before(async () => {
    books = await startBooksServer();
  });
  after(() => books.close());

  test('List starts with the workshop book', async () => {
    assert.deepEqual(await books.client.list({}), {
      books: [{id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'}],
    });
  });

  test('Insert, Get, List and Delete a book', async () => {
    const { client } = books;
    const musketeers = {id: 2, title: 'The Three Musketeers', author: 'Alexandre Dumas'};
    assert.deepEqual(await client.insert(musketeers), {});
    assert.deepEqual(await client.get({id: 2}), musketeers);
    assert.deepEqual((await client.list({})).books.at(-1), musketeers);
    assert.deepEqual(await client.delete({id: 2}), {});
    await assert.rejects(client.get({id: 2}), rejectsWith(Status.NOT_FOUND, '2'));
  });

  test('Get and Delete of an unknown id are NOT_FOUND naming the id', async () => {
    await assert.rejects(books.client.get({id: 404}), rejectsWith(Status.NOT_FOUND, '404'));
    await assert.rejects(books.client.delete({id: 404}), rejectsWith(Status.NOT_FOUND, '404'));
  });

  test('Insert of an existing id is ALREADY_EXISTS and keeps the first book', async () => {
    await assert.rejects(
      books.client.insert({id: 123, title: 'Other', author: 'Someone'}),
      rejectsWith(Status.ALREADY_EXISTS, '123'),
    );
    assert.equal((await books.client.get({id: 123})).title, 'A Tale of Two Cities');
  });

  test('concurrent inserts of one id: exactly one succeeds', async () => {
    const results = await Promise.allSettled(
      Array.from({length: 20}, (_, i) => books.client.insert({id: 900, title: `Copy ${i}`, author: 'Racer'})),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    for (const result of results) {
      if (result.status === 'rejected') rejectsWith(Status.ALREADY_EXISTS, '900')(result.reason);
    }
    assert.equal((await books.client.list({})).books.filter((book) => book.id === 900).length, 1);
  });

  test('invalid books are INVALID_ARGUMENT naming the field, and are not stored', async () => {
    const valid = {id: 50, title: 'Emma', author: 'Jane Austen'};
    const cases = [
      {book: {...valid, id: 0}, field: 'id'},
      {book: {...valid, id: -3}, field: 'id'},
      {book: {...valid, title: ''}, field: 'title'},
      {book: {...valid, title: '   '}, field: 'title'},
      {book: {...valid, author: ''}, field: 'author'},
      {book: {...valid, title: 't'.repeat(MAX_TEXT_LENGTH + 1)}, field: 'title'},
      {book: {...valid, author: 'a'.repeat(MAX_TEXT_LENGTH + 1)}, field: 'author'},
    ];
    for (const {book, field} of cases) {
      await assert.rejects(books.client.insert(book), rejectsWith(Status.INVALID_ARGUMENT, new RegExp(`^${field} `)));
    }
    await assert.rejects(books.client.get({id: 0}), rejectsWith(Status.INVALID_ARGUMENT, /^id /));
    await assert.rejects(books.client.delete({id: -1}), rejectsWith(Status.INVALID_ARGUMENT, /^id /));
    await assert.rejects(books.client.get({id: 50}), rejectsWith(Status.NOT_FOUND, '50'));
  });

  test('a title of exactly the limit is accepted', async () => {
    const book = {id: 51, title: 't'.repeat(MAX_TEXT_LENGTH), author: 'Long'};
    await books.client.insert(book);
    assert.deepEqual(await books.client.get({id: 51}), book);
  });

  test('each failed call is logged once with its method and code', async () => {
    await assert.rejects(books.client.get({id: 4242}));
    const lines = books.logs.filter((line) => line['level'] === 'warn' && String(line['details']).includes('4242'));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['method'], '/books.BookService/Get');
    assert.equal(lines[0]?.['code'], 'NOT_FOUND');
  });
});
