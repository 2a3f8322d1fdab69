import {ServerCredentials} from '@grpc/grpc-js';
import {createServer} from 'nice-grpc';
import {HealthDefinition, HealthServiceImpl, HealthState} from 'nice-grpc-server-health';
import type {Catalogue} from '../domain/catalogue.js';
import {BookServiceDefinition} from '../gen/books/books.js';
import {BookServiceServerDefinition, createBookService} from './book-service.js';
import {startFeedTimers} from './feed-timers.js';
import {callMiddleware} from './call-middleware.js';
import type {Config} from './config.js';
import type {Logger} from './logger.js';
import {tokenCheck} from './auth.js';
import type {Metrics} from './metrics.js';
import {addReflection} from './reflection.js';
import {withStrictRequestDecoding} from './strict-requests.js';
import {createTerminator} from './terminator.js';
import type {WebServer} from './web-server.js';

/**
 * The settings the server's wiring reads, by their names in settings.ts,
 * which holds their meaning and their defaults.
 */
export type BooksServerSettings = Pick<
  Config,
  | 'shutdownTimeoutMs'
  | 'drainDelayMs'
  | 'maxRequestBytes'
  | 'keepaliveMs'
  | 'token'
  | 'authReads'
  | 'changesHeartbeatMs'
  | 'feedPollMs'
  | 'changesRetention'
  | 'webOrigins'
>;

/** What the server serves and reports to, built by the caller. */
export interface BooksServerParts {
  readonly catalogue: Catalogue;
  readonly logger: Logger;
  /** PEM certificate chain and private key: the server then speaks TLS only. */
  readonly tls?: {readonly cert: Buffer; readonly key: Buffer};
  /** Prometheus metrics, counted for every call when given. */
  readonly metrics?: Metrics;
}

export interface BooksServer {
  /**
   * Binds host:port (port 0 picks a free one), reports SERVING through the
   * standard health service, starts the change feed's timers (heartbeats,
   * polls of the log, retention), and returns the bound port.
   */
  listen(host: string, port: number): Promise<number>;
  /**
   * Binds the web port (gRPC-Web and Connect on HTTP/1.1, HTTPS with TLS)
   * on host:port (0 picks a free one) and returns the bound port: the same
   * service, under the same rules (token, size limit, watcher limit, errors,
   * logs, shutdown).
   */
  listenWeb(host: string, port: number): Promise<number>;
  /**
   * Reports NOT_SERVING, ends open streams with UNAVAILABLE (on the web port
   * too), stops accepting calls, lets in-flight unary calls finish, cancels
   * whatever is left after the timeout, and stops the feed's timers.
   */
  shutdown(): Promise<void>;
}

/** The server's wiring, unstarted, so tests run exactly what production runs. */
export function createBooksServer(settings: BooksServerSettings, parts: BooksServerParts): BooksServer {
  const {shutdownTimeoutMs, drainDelayMs, maxRequestBytes, keepaliveMs, token, authReads, webOrigins} = settings;
  const {catalogue, logger, tls, metrics} = parts;
  const {changesHeartbeatMs, feedPollMs, changesRetention} = settings;
  let stopFeedTimers = (): void => {};
  /** The web port, once listenWeb has bound it. */
  let web: WebServer | undefined;
  const terminator = createTerminator();
  const health = HealthState();
  // The overall server ('') is healthy by default; the service only once
  // listening, while its store answers, and until shutdown begins.
  let listening = false;
  let storeReachable = true;
  let stopping = false;
  const reportService = (): void =>
    health.setStatus(
      listening && storeReachable && !stopping ? 'healthy' : 'unhealthy',
      BookServiceDefinition.fullName,
    );
  reportService();
  // While the database cannot be reached, the book service reports
  // NOT_SERVING, so that load balancers send calls to a replica that can
  // answer; the server itself ('') stays SERVING, so that a liveness probe
  // does not restart a process that recovers by itself.
  catalogue.store.onReachability?.((reachable) => {
    storeReachable = reachable;
    reportService();
    metrics?.setStoreReachable(reachable);
    if (reachable) logger.info('the database answers again; serving');
    else logger.warn('the database cannot be reached; books.BookService reports NOT_SERVING until it is back');
  });
  const base = createServer({
    // A book is at most about 2 KiB: a larger request is refused before it is decoded.
    'grpc.max_receive_message_length': maxRequestBytes,
    // Pings find clients that vanished without closing (a pulled cable, a
    // half-open TCP connection), so their watches are freed.
    'grpc.keepalive_time_ms': keepaliveMs,
    'grpc.keepalive_timeout_ms': Math.min(10_000, keepaliveMs),
  });
  const checkToken = token === undefined ? undefined : tokenCheck(token, protectedPaths(authReads));
  const server = (metrics === undefined ? base : base.use(metrics.middleware)).use(
    callMiddleware(logger, terminator, checkToken),
  );
  server.add(withStrictRequestDecoding(BookServiceServerDefinition), createBookService(catalogue));
  server.add(HealthDefinition, HealthServiceImpl(health));
  addReflection(server, [BookServiceDefinition.fullName, HealthDefinition.fullName]);
  return {
    async listen(host, port) {
      const credentials =
        tls === undefined
          ? ServerCredentials.createInsecure()
          : ServerCredentials.createSsl(null, [{cert_chain: tls.cert, private_key: tls.key}], false);
      const bound = await server.listen(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials);
      listening = true;
      reportService();
      // The feed's clock runs while the server does: heartbeats, polls of the log, retention.
      stopFeedTimers = startFeedTimers(catalogue.feed, {
        changesHeartbeatMs,
        feedPollMs,
        changesRetention,
        onTrimError: (error) => logger.warn('cannot trim the change log', {error: String(error)}),
      });
      return bound;
    },
    async listenWeb(host, port) {
      // Loaded only when a web port is wanted: connect-node adds to start-up.
      const {createWebServer} = await import('./web-server.js');
      const created = createWebServer(catalogue, {
        logger,
        terminator,
        ...(checkToken === undefined ? {} : {checkToken}),
        ...(metrics === undefined ? {} : {metrics}),
        maxRequestBytes,
        origins: webOrigins,
        tls,
      });
      const bound = await created.listen(host, port);
      web = created;
      return bound;
    },
    async shutdown() {
      stopping = true;
      health.setStatus('unhealthy');
      reportService();
      // Health checkers see NOT_SERVING and move new traffic elsewhere while
      // this server still answers.
      if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      terminator.terminate();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), shutdownTimeoutMs);
      });
      const drained = Promise.all([server.shutdown(), web?.close()]).then(() => false);
      if (await Promise.race([drained, timedOut])) {
        logger.warn('shutdown timed out; cancelling remaining calls', {timeoutMs: shutdownTimeoutMs});
        server.forceShutdown();
        web?.forceClose();
      }
      clearTimeout(timer);
      stopFeedTimers();
    },
  };
}

/** Writes always need the token; reads only when asked. Health and reflection stay open. */
function protectedPaths(authReads: boolean): Set<string> {
  const {fullName, methods} = BookServiceDefinition;
  const chosen = authReads ? Object.values(methods) : [methods.insert, methods.delete];
  return new Set(chosen.map((method) => `/${fullName}/${method.name}`));
}
