import type {Book} from '../domain/book.js';
import type {Catalogue, CataloguePage} from '../domain/catalogue.js';
import {listWithinLimit} from './list-limit.js';

/**
 * books.BookService's unary methods, as the gRPC port (book-service.ts) and
 * the web port (web-service.ts) both serve them: one Catalogue call each.
 * Typed by the fields they read, so that ts-proto's and protobuf-es's
 * request messages both fit.
 */
export function unaryMethods(catalogue: Catalogue) {
  return {
    async list(): Promise<{books: Book[]}> {
      return {books: await listWithinLimit(catalogue)};
    },

    async insert({id, title, author}: Book): Promise<Record<string, never>> {
      await catalogue.insert({id, title, author});
      return {};
    },

    async get({id}: {readonly id: number}): Promise<Book> {
      return catalogue.get(id);
    },

    async delete({id}: {readonly id: number}): Promise<Record<string, never>> {
      await catalogue.delete(id);
      return {};
    },

    async listBooks({
      pageSize,
      pageToken,
    }: {
      readonly pageSize: number;
      readonly pageToken: string;
    }): Promise<CataloguePage> {
      return catalogue.listPage(pageSize, pageToken);
    },
  };
}
