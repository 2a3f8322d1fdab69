import {once} from 'node:events';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import {createServer as createHttpsServer} from 'node:https';
import type {Socket} from 'node:net';
import {cors} from '@connectrpc/connect';
import {connectNodeAdapter} from '@connectrpc/connect-node';
import type {Catalogue} from '../domain/catalogue.js';
import {BookService} from '../gen/es/books/books_pb.js';
import {type WebCallRules, withWebCallRules} from './web-calls.js';
import {pageHandler} from './web-page.js';
import {createWebService} from './web-service.js';

export interface WebServerOptions extends WebCallRules {
  /** Largest request message (--max-request-bytes); larger is `resource_exhausted`, refused before it is read. */
  readonly maxRequestBytes: number;
  /** Origins a page may call from (--web-origins); `*` for any. */
  readonly origins: readonly string[];
  /** The gRPC port's certificate and key (--tls-cert, --tls-key): the web port then speaks HTTPS only. */
  readonly tls?: {readonly cert: Buffer; readonly key: Buffer} | undefined;
}

export interface WebServer {
  /** Binds host:port (0 picks a free one) and returns the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting; resolves once every connection has closed (open streams must have been ended first). */
  close(): Promise<void>;
  /** Closes every connection at once, whatever it is doing. */
  forceClose(): void;
}

/**
 * books.BookService over gRPC-Web and the Connect protocol (binary and JSON)
 * on HTTP/1.1, for pages, curl and fetch, and the live page at `/` (the
 * files `pnpm build` made, see web-page.ts). gRPC stays on the gRPC port.
 * With a certificate it is HTTPS, as the gRPC port is TLS: a bearer token is
 * never sent in the clear to a server that was given one.
 */
export function createWebServer(catalogue: Catalogue, options: WebServerOptions): WebServer {
  const service = withWebCallRules(createWebService(catalogue), options);
  const handler = connectNodeAdapter({
    routes: (router) => router.service(BookService, service),
    // Without it connect-node accepts about 4 GiB and allocates a declared Content-Length up front.
    readMaxBytes: options.maxRequestBytes,
    grpc: false,
  });
  const page = pageHandler();
  const serve = withCors(options.origins, (request, response) => {
    if (!page(request, response)) handler(request, response);
  });
  const {tls} = options;
  const http = tls === undefined ? createServer(serve) : createHttpsServer({cert: tls.cert, key: tls.key}, serve);
  // Every connection from its first byte: HTTPS counts one as a connection
  // (for closeAllConnections) only once its TLS handshake is done, so a
  // client stalled before that would outlive forceClose.
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // close() closes the connections idle at that moment; a keep-alive
  // connection whose response (an ended stream) finishes later would hold
  // shutdown open for its keep-alive timeout, so it is closed as it finishes.
  let closing = false;
  http.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    response.once('finish', () => {
      if (closing) setImmediate(() => http.closeIdleConnections());
    });
  });
  return {
    async listen(host, port) {
      http.listen(port, host);
      await Promise.race([
        once(http, 'listening'),
        once(http, 'error').then(([error]) => Promise.reject(error as Error)),
      ]);
      return (http.address() as {port: number}).port;
    },
    async close() {
      if (!http.listening) return;
      closing = true;
      const closed = once(http, 'close');
      http.close();
      http.closeIdleConnections();
      await closed;
    },
    forceClose() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

type NodeHandler = (request: IncomingMessage, response: ServerResponse) => void;

// connect-node answers no preflight (405) and sets no CORS headers; clients
// must be allowed to send Authorization and to read the status headers.
const ALLOWED_METHODS = cors.allowedMethods.join(', ');
const ALLOWED_HEADERS = [...cors.allowedHeaders, 'Authorization'].join(', ');
const EXPOSED_HEADERS = [...cors.exposedHeaders, 'Books-Watch'].join(', ');
const PREFLIGHT_MAX_AGE_S = '7200';

/**
 * CORS for the allowed origins: their preflights are answered, their
 * responses may be read. A preflight from any other origin is refused with
 * 403; its other requests are served without CORS headers, so the browser
 * keeps the response from the page.
 */
function withCors(origins: readonly string[], handler: NodeHandler): NodeHandler {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  return (request, response) => {
    const origin = request.headers.origin;
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
    if (origin !== undefined && (anyOrigin || allowed.has(origin))) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
      if (preflight) {
        response
          .writeHead(204, {
            'Access-Control-Allow-Methods': ALLOWED_METHODS,
            'Access-Control-Allow-Headers': ALLOWED_HEADERS,
            'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_S,
          })
          .end();
        return;
      }
      response.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    } else if (preflight) {
      response.writeHead(403).end();
      return;
    }
    handler(request, response);
  };
}
