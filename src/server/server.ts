import {createServer} from 'nice-grpc';
import type {Catalogue} from '../domain/catalogue.js';
import {BookServiceDefinition} from '../gen/books/books.js';
import {createBookService} from './book-service.js';
import {callLoggingMiddleware} from './call-logging.js';
import {errorStatusMiddleware} from './error-status.js';
import type {Logger} from './logger.js';

export interface BooksServerOptions {
  readonly catalogue: Catalogue;
  readonly logger: Logger;
  /** How long shutdown waits for in-flight calls before cancelling them. */
  readonly shutdownTimeoutMs: number;
}

export interface BooksServer {
  /** Binds host:port (port 0 picks a free one) and returns the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls, ends open watches with UNAVAILABLE, lets in-flight
   * unary calls finish, and cancels whatever is left after the timeout.
   */
  shutdown(): Promise<void>;
}

/** The server's wiring, unstarted, so tests run exactly what production runs. */
export function createBooksServer({catalogue, logger, shutdownTimeoutMs}: BooksServerOptions): BooksServer {
  const server = createServer().use(callLoggingMiddleware(logger)).use(errorStatusMiddleware(logger));
  server.add(BookServiceDefinition, createBookService(catalogue));
  return {
    listen: (host, port) => server.listen(`${host.includes(':') ? `[${host}]` : host}:${port}`),
    async shutdown() {
      // Watches never end on their own, and grpc-js waits for every open call.
      catalogue.hub.close();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), shutdownTimeoutMs);
      });
      const drained = server.shutdown().then(() => false);
      if (await Promise.race([drained, timedOut])) {
        logger.warn('shutdown timed out; cancelling remaining calls', {timeoutMs: shutdownTimeoutMs});
        server.forceShutdown();
      }
      clearTimeout(timer);
    },
  };
}
