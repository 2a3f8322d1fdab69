import type {Book} from './book.js';

/** The catalogue a fresh server starts with: the workshop's first book. */
export const SEED_BOOKS: readonly [Book, ...Book[]] = [
  {id: 123, title: 'A Tale of Two Cities', author: 'Charles Dickens'},
];
