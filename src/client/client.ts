import {ChannelCredentials, connectivityState} from '@grpc/grpc-js';
import {
  ClientError,
  createChannel,
  createClientFactory,
  Metadata,
  Status,
  type Channel,
  type Client,
  type ClientMiddleware,
} from 'nice-grpc';
import {deadlineMiddleware, type DeadlineOptions} from 'nice-grpc-client-middleware-deadline';
import {retryMiddleware, type RetryOptions} from 'nice-grpc-client-middleware-retry';
import {HealthDefinition} from '../gen/grpc/health/v1/health.js';
import {BookServiceDefinition, type BookServiceClient} from '../gen/books/books.js';
import {badRequestMiddleware} from './bad-request.js';

export type BooksClient = BookServiceClient<DeadlineOptions & RetryOptions>;
/** The standard grpc.health.v1.Health client, on the same connection. */
export type HealthClient = Client<typeof HealthDefinition, DeadlineOptions & RetryOptions>;

export interface BooksClientOptions {
  /**
   * Deadline of each unary call, retries included, in milliseconds. Watch
   * has none: it runs until cancelled.
   */
  readonly timeoutMs?: number;
  /** Speak TLS, trusting the system's roots, or `ca` (PEM) when given. */
  readonly tls?: boolean | {readonly ca?: Buffer};
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /** Told before each retry of a read that failed with UNAVAILABLE. */
  readonly onRetry?: (error: ClientError, attempt: number, delayMs: number) => void;
}

export interface BooksConnection {
  readonly client: BooksClient;
  readonly health: HealthClient;
  /** Whether this connection ever reached the server (a failure since then is worth waiting out). */
  reached(): boolean;
  /** Closes the channel; calls still open are cancelled. */
  close(): void;
}

export const DEFAULT_PORT = 50051;
export const DEFAULT_ADDRESS = `127.0.0.1:${DEFAULT_PORT}`;
export const DEFAULT_TIMEOUT_MS = 5000;

/** Reads may be sent again safely; Insert and Delete may not (a lost reply would turn into ALREADY_EXISTS or NOT_FOUND). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['list', 'get', 'listBooks']);

/**
 * A typed BookService client for `host:port`: a deadline on every unary
 * call, and reads retried with exponential backoff while a server this
 * client has reached is UNAVAILABLE (restarting, say), within that deadline.
 * A failure to ever connect is not retried: see `retryOnceReached`.
 * A call refused for bad fields throws a BadRequestError, a ClientError
 * that names them.
 */
export function createBooksClient(address: string, options: BooksClientOptions = {}): BooksConnection {
  const {tls = false, token, timeoutMs = DEFAULT_TIMEOUT_MS, onRetry} = options;
  const credentials =
    tls === false ? ChannelCredentials.createInsecure() : ChannelCredentials.createSsl(tls === true ? null : tls.ca);
  // A connection of its own: grpc-js otherwise shares one among the channels
  // of a process to one address, and a new client would inherit an old one's
  // failure and reconnect backoff, and with them "never reached".
  const channel: Channel = createChannel(address, credentials, {'grpc.use_local_subchannel_pool': 1});
  const reached = firstConnection(channel);
  const unary = {deadline: timeoutMs};
  const read = {
    ...unary,
    retry: true,
    // Steps of 100 ms doubling to 1 s; the middleware waits a random part of
    // each, from half to all of it, so that clients of a restarted server
    // spread their retries (the same jitter as Backoff's).
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1000,
    // The deadline, not a count, ends the retries: a restart that takes a few
    // seconds is ridden out when the caller allows that long.
    retryMaxAttempts: Number.MAX_SAFE_INTEGER,
    retryableStatuses: [Status.UNAVAILABLE],
    onRetryableError: onRetry,
  };
  // Every method that is not a stream gets a deadline, including any added to the contract later.
  const perMethod = Object.fromEntries(
    Object.entries(BookServiceDefinition.methods)
      .filter(([, method]) => !method.responseStream)
      .map(([name]) => [name, IDEMPOTENT_METHODS.has(name) ? read : unary]),
  );
  const everyCall = token === undefined ? {} : {metadata: Metadata({authorization: `Bearer ${token}`})};
  // Client middleware attached last runs outermost: the deadline bounds all
  // attempts together and cuts a backoff delay short; retryOnceReached
  // decides, around the retry middleware, whether it may retry at all.
  const factory = createClientFactory()
    .use(badRequestMiddleware)
    .use(retryMiddleware)
    .use(retryOnceReached(reached))
    .use(deadlineMiddleware);
  const client = factory.create(BookServiceDefinition, channel, {'*': everyCall, ...perMethod});
  const health = factory.create(HealthDefinition, channel, {check: read});
  return {client, health, reached, close: () => channel.close()};
}

/** Tells whether `channel` has ever been READY: connected, with the HTTP/2 (and TLS) handshake done. */
function firstConnection(channel: Channel): () => boolean {
  let reached = false;
  const watch = (): void => {
    const state = channel.getConnectivityState(false);
    if (state === connectivityState.READY) reached = true;
    else if (state !== connectivityState.SHUTDOWN) channel.watchConnectivityState(state, Infinity, watch);
  };
  watch();
  return () => reached;
}

/**
 * Retries reads only once the server has been reached. UNAVAILABLE from a
 * channel that never connected means a wrong address, or a server not
 * started: waiting until the deadline mends neither, and a person should hear
 * of it at once. A server that was reached before and now refuses
 * connections is probably restarting, and is waited for, within the deadline.
 */
function retryOnceReached(reached: () => boolean): ClientMiddleware<unknown, RetryOptions> {
  return async function* retryOnceReachedMiddleware(call, options) {
    if (options.retry !== true || reached()) return yield* call.next(call.request, options);
    try {
      return yield* call.next(call.request, {...options, retry: false});
    } catch (error: unknown) {
      // Reached during this first attempt (the server answered UNAVAILABLE itself): retry as usual.
      if (!(reached() && error instanceof ClientError && options.retryableStatuses?.includes(error.code))) throw error;
      return yield* call.next(call.request, options);
    }
  };
}
