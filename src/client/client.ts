import {createChannel, createClientFactory, type Channel} from 'nice-grpc';
import {deadlineMiddleware, type DeadlineOptions} from 'nice-grpc-client-middleware-deadline';
import {BookServiceDefinition, type BookServiceClient} from '../gen/books/books.js';

export type BooksClient = BookServiceClient<DeadlineOptions>;

export interface BooksClientOptions {
  /** Deadline of each unary call, in milliseconds. Watch has none: it runs until cancelled. */
  readonly timeoutMs?: number;
}

export interface BooksConnection {
  readonly client: BooksClient;
  /** Closes the channel; calls still open are cancelled. */
  close(): void;
}

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
export const DEFAULT_TIMEOUT_MS = 5000;

/** A typed BookService client for `host:port`, plaintext, with a deadline on every unary call. */
export function createBooksClient(address: string, options: BooksClientOptions = {}): BooksConnection {
  const channel: Channel = createChannel(address);
  const unary = {deadline: options.timeoutMs ?? DEFAULT_TIMEOUT_MS};
  const client = createClientFactory()
    .use(deadlineMiddleware)
    .create(BookServiceDefinition, channel, {list: unary, insert: unary, get: unary, delete: unary});
  return {client, close: () => channel.close()};
}
