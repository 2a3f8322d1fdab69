import {ChannelCredentials} from '@grpc/grpc-js';
import {createChannel, createClientFactory, Metadata, type Channel, type Client} from 'nice-grpc';
import {deadlineMiddleware, type DeadlineOptions} from 'nice-grpc-client-middleware-deadline';
import {HealthDefinition} from 'nice-grpc-server-health';
import {BookServiceDefinition, type BookServiceClient} from '../gen/books/books.js';

export type BooksClient = BookServiceClient<DeadlineOptions>;
/** The standard grpc.health.v1.Health client, on the same connection. */
export type HealthClient = Client<typeof HealthDefinition, DeadlineOptions>;

export interface BooksClientOptions {
  /** Deadline of each unary call, in milliseconds. Watch has none: it runs until cancelled. */
  readonly timeoutMs?: number;
  /** Speak TLS, trusting the system's roots, or `ca` (PEM) when given. */
  readonly tls?: boolean | {readonly ca?: Buffer};
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
}

export interface BooksConnection {
  readonly client: BooksClient;
  readonly health: HealthClient;
  /** Closes the channel; calls still open are cancelled. */
  close(): void;
}

export const DEFAULT_ADDRESS = '127.0.0.1:50051';
export const DEFAULT_TIMEOUT_MS = 5000;

/** A typed BookService client for `host:port`, with a deadline on every unary call. */
export function createBooksClient(address: string, options: BooksClientOptions = {}): BooksConnection {
  const {tls = false, token} = options;
  const credentials =
    tls === false ? ChannelCredentials.createInsecure() : ChannelCredentials.createSsl(tls === true ? null : tls.ca);
  const channel: Channel = createChannel(address, credentials);
  const unary = {deadline: options.timeoutMs ?? DEFAULT_TIMEOUT_MS};
  // Every method that is not a stream gets the deadline, including any added to the contract later.
  const unaryDefaults = Object.fromEntries(
    Object.entries(BookServiceDefinition.methods)
      .filter(([, method]) => !method.responseStream)
      .map(([name]) => [name, unary]),
  );
  const everyCall = token === undefined ? {} : {metadata: Metadata({authorization: `Bearer ${token}`})};
  const factory = createClientFactory().use(deadlineMiddleware);
  const client = factory.create(BookServiceDefinition, channel, {'*': everyCall, ...unaryDefaults});
  const health = factory.create(HealthDefinition, channel, {check: unary});
  return {client, health, close: () => channel.close()};
}
