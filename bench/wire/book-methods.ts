import type {MethodDefinition} from '@grpc/grpc-js';
import {Book, BookIdRequest, BookList, Empty} from '../../src/gen/books/books.js';

// books.BookService described for plain @grpc/grpc-js, with the generated
// ts-proto codecs: the baseline server and the load generators both use it,
// so neither pays for nice-grpc.

interface Codec<T> {
  encode(message: T): {finish(): Uint8Array};
  decode(input: Uint8Array): T;
}

/** A Buffer over the encoded bytes, without copying them. */
function serializerOf<T>(codec: Codec<T>): (message: T) => Buffer {
  return (message) => {
    const bytes = codec.encode(message).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function method<Request, Response>(
  name: string,
  request: Codec<Request>,
  response: Codec<Response>,
  responseStream = false,
): MethodDefinition<Request, Response> {
  return {
    path: `/books.BookService/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: serializerOf(request),
    requestDeserialize: (bytes) => request.decode(bytes),
    responseSerialize: serializerOf(response),
    responseDeserialize: (bytes) => response.decode(bytes),
  };
}

export const BOOK_METHODS = {
  list: method('List', Empty, BookList),
  insert: method('Insert', Book, Empty),
  get: method('Get', BookIdRequest, Book),
  delete: method('Delete', BookIdRequest, Empty),
  watch: method('Watch', Empty, Book, true),
} as const;

export type {Book, BookList, BookIdRequest, Empty};
