// The books client as other programs import it, `books/client` in
// package.json's `exports`: everything here is public, with its types
// (dist/src/client/index.d.ts); nothing else in the package is reachable.
//
//   import {createBooksClient, followChanges, ChangeType} from 'books/client';

export {BadRequestError, type FieldViolation} from './bad-request.js';
export {bookPages, PAGE_SIZE} from './book-pages.js';
export {
  createBooksClient,
  DEFAULT_ADDRESS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  type BooksClient,
  type BooksClientOptions,
  type BooksConnection,
  type HealthClient,
} from './client.js';
export {followChanges, type FollowChangesOptions, type FollowedChanges} from './follow-changes.js';
export {MAX_BOOK_ID} from '../domain/book.js';
export {
  ChangeType,
  type Book,
  type BookChange,
  type BookList,
  type ListBooksRequest,
  type ListBooksResponse,
  type WatchChangesRequest,
  type WatchChangesResponse,
} from '../gen/books/books.js';
export {HealthCheckResponse_ServingStatus} from '../gen/grpc/health/v1/health.js';
// A failed call throws a ClientError whose `code` is a Status: catch them without a dependency of your own on nice-grpc.
export {ClientError, Status} from 'nice-grpc';
