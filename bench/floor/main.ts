#!/usr/bin/env node
import {constants, createServer, type ServerHttp2Stream} from 'node:http2';
import {parseArgs} from 'node:util';
import {Book, BookList, Empty} from '../../src/gen/books/books.js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';
import {GrpcMessageReader} from '../load/grpc-message-reader.js';

// The floor under the floor: gRPC spoken over node:http2 with no gRPC
// library at all. Each inserted book is framed once and the same bytes are
// written to every watch stream, so what remains is node:http2's own cost
// per stream write. It is not a gRPC server anyone should run (no deadlines,
// no flow of statuses beyond OK): it shows what the platform allows.

const {values} = parseArgs({
  options: {
    host: {type: 'string', default: '127.0.0.1'},
    port: {type: 'string', default: '0'},
    'log-level': {type: 'string'},
  },
});

const books = new Map<number, Book>(SEED_BOOKS.map((book) => [book.id, book]));
const watchers = new Set<ServerHttp2Stream>();

function frame(bytes: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(bytes.byteLength + 5);
  framed.writeUInt8(0, 0);
  framed.writeUInt32BE(bytes.byteLength, 1);
  framed.set(bytes, 5);
  return framed;
}

const EMPTY_FRAME = frame(Empty.encode({}).finish());
const RESPONSE_HEADERS = {
  [constants.HTTP2_HEADER_STATUS]: 200,
  [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
};

function answer(stream: ServerHttp2Stream, body: Buffer | undefined, status = 0, message = ''): void {
  stream.respond(RESPONSE_HEADERS, {waitForTrailers: true});
  stream.once('wantTrailers', () =>
    stream.sendTrailers({'grpc-status': String(status), ...(message ? {'grpc-message': message} : {})}),
  );
  if (body === undefined) stream.end();
  else stream.end(body);
}

const server = createServer({settings: {maxConcurrentStreams: 100_000}});
server.on('stream', (stream, headers) => {
  const path = headers[constants.HTTP2_HEADER_PATH];
  const reader = new GrpcMessageReader();
  let request: Uint8Array | undefined;
  stream.on('data', (chunk: Buffer) => reader.push(chunk, (message) => (request = message)));
  stream.on('end', () => {
    if (path === '/books.BookService/Insert') {
      const book = Book.decode(request ?? new Uint8Array());
      if (books.has(book.id)) return answer(stream, undefined, 6, 'exists');
      books.set(book.id, book);
      const framed = frame(Book.encode(book).finish());
      for (const watcher of watchers) watcher.write(framed);
      return answer(stream, EMPTY_FRAME);
    }
    if (path === '/books.BookService/List')
      return answer(stream, frame(BookList.encode({books: [...books.values()]}).finish()));
    if (path === '/books.BookService/Watch') {
      stream.respond(RESPONSE_HEADERS);
      watchers.add(stream);
      stream.on('close', () => watchers.delete(stream));
      return;
    }
    answer(stream, undefined, 12, 'unimplemented');
  });
});
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({level: 'info', msg: 'listening', address: `${values.host}:${port}`})}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
