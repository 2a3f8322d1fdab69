import {createServer} from 'nice-grpc';
import {HealthDefinition, HealthServiceImpl, HealthState} from 'nice-grpc-server-health';
import type {Catalogue} from '../domain/catalogue.js';
import {BookServiceDefinition} from '../gen/books/books.js';
import {createBookService} from './book-service.js';
import {BookServiceServerDefinition} from './book-service-definition.js';
import {callMiddleware} from './call-middleware.js';
import type {Logger} from './logger.js';
import {createTerminator} from './terminator.js';

export interface BooksServerOptions {
  readonly catalogue: Catalogue;
  readonly logger: Logger;
  /** How long shutdown waits for in-flight calls before cancelling them. */
  readonly shutdownTimeoutMs: number;
}

export interface BooksServer {
  /**
   * Binds host:port (port 0 picks a free one), reports SERVING through the
   * standard health service, and returns the bound port.
   */
  listen(host: string, port: number): Promise<number>;
  /**
   * Reports NOT_SERVING, ends open streams with UNAVAILABLE, stops accepting
   * calls, lets in-flight unary calls finish, and cancels whatever is left
   * after the timeout.
   */
  shutdown(): Promise<void>;
}

/** The server's wiring, unstarted, so tests run exactly what production runs. */
export function createBooksServer({catalogue, logger, shutdownTimeoutMs}: BooksServerOptions): BooksServer {
  const terminator = createTerminator();
  const health = HealthState();
  // The overall server ('') is healthy by default; the service only once listening.
  health.setStatus('unhealthy', BookServiceDefinition.fullName);
  const server = createServer().use(callMiddleware(logger, terminator));
  server.add(BookServiceServerDefinition, createBookService(catalogue));
  server.add(HealthDefinition, HealthServiceImpl(health));
  return {
    async listen(host, port) {
      const bound = await server.listen(`${host.includes(':') ? `[${host}]` : host}:${port}`);
      health.setStatus('healthy', BookServiceDefinition.fullName);
      return bound;
    },
    async shutdown() {
      health.setStatus('unhealthy');
      health.setStatus('unhealthy', BookServiceDefinition.fullName);
      terminator.terminate();
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
