import {createBooksClient, type BooksClient, type BooksClientOptions} from '../../src/client/client.js';
import type {BookStore} from '../../src/domain/book-store.js';
import {Catalogue} from '../../src/domain/catalogue.js';
import type {Change} from '../../src/domain/change.js';
import type {WatchHub} from '../../src/domain/feed/index.js';
import {MemoryStore} from '../../src/store/memory-store.js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';
import {defaultConfig, type Config} from '../../src/server/config.js';
import {createLogger} from '../../src/server/logger.js';
import {createBooksServer, type BooksServer} from '../../src/server/server.js';

export interface TestServer {
  readonly address: string;
  readonly client: BooksClient;
  readonly catalogue: Catalogue;
  readonly hub: WatchHub<Change>;
  readonly server: BooksServer;
  /** The web port's base URL (`http://127.0.0.1:<port>`, `https` with `tls`), when started with `web: true`. */
  readonly webUrl: string | undefined;
  /** The server's log, one parsed JSON object per line. */
  readonly logs: Record<string, unknown>[];
  /** Another connection to the same server. */
  connect(): {client: BooksClient; close(): void};
  /** Shuts the server down, closes every client it handed out, and closes the store. */
  close(): Promise<void>;
}

/** Settings a test may change; the others, and these when not given, are the server's defaults. */
type TestSettings = Pick<
  Config,
  | 'watchQueueSize'
  | 'maxWatchers'
  | 'changesHeartbeatMs'
  | 'shutdownTimeoutMs'
  | 'maxRequestBytes'
  | 'keepaliveMs'
  | 'token'
  | 'authReads'
  | 'webOrigins'
>;

export interface TestServerOptions extends Partial<TestSettings> {
  readonly store?: BookStore;
  readonly tls?: {readonly cert: Buffer; readonly key: Buffer};
  /** Serve the web port too (gRPC-Web and Connect), on a free port. */
  readonly web?: boolean;
  /** Port to listen on; a free one by default. */
  readonly port?: number;
  /** The web port, with `web: true`; a free one by default (a restarted server takes its predecessor's). */
  readonly webPort?: number;
  /** How the test's own clients connect (defaults: plaintext, no token). */
  readonly clientOptions?: BooksClientOptions;
}

/** The production server wiring on 127.0.0.1 and a free port, with a real client. */
export async function startBooksServer(options: TestServerOptions = {}): Promise<TestServer> {
  const {store, tls, web = false, port: wantedPort = 0, webPort = 0, clientOptions, ...settings} = options;
  const config = {...defaultConfig(), ...settings};
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('debug', {
    destination: {write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>)},
  });
  const catalogue = await Catalogue.open(store ?? new MemoryStore(SEED_BOOKS), config);
  const hub = catalogue.hub;
  const server = createBooksServer(config, {catalogue, logger, tls});
  const port = await server.listen('127.0.0.1', wantedPort);
  const address = `127.0.0.1:${port}`;
  const scheme = tls === undefined ? 'http' : 'https';
  const webUrl = web ? `${scheme}://127.0.0.1:${await server.listenWeb('127.0.0.1', webPort)}` : undefined;
  const connections: {close(): void}[] = [];
  const connect = (): {client: BooksClient; close(): void} => {
    const connection = createBooksClient(address, clientOptions);
    connections.push(connection);
    return connection;
  };
  const {client} = connect();
  let closed = false;
  return {
    address,
    client,
    catalogue,
    hub,
    server,
    webUrl,
    logs,
    connect,
    async close() {
      if (closed) return;
      closed = true;
      for (const connection of connections) connection.close();
      await server.shutdown();
      catalogue.close();
      await catalogue.store.close();
    },
  };
}
