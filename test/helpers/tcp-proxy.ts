import {once} from 'node:events';
import {createConnection, createServer, type Server, type Socket} from 'node:net';

/** A loopback TCP proxy that a test can cut and restore, to play a database outage. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones. */
  cut(): Promise<void>;
  /**
   * Stops passing bytes either way but keeps every connection open: a peer
   * that vanished without closing (a pulled cable, a half-open connection).
   * With `match`, only connections whose client's first bytes match it (a
   * PostgreSQL start-up message names its application), open or opened
   * later, until `thaw()`.
   */
  freeze(match?: (firstBytes: Buffer) => boolean): void;
  /** Passes bytes again on every connection. */
  thaw(): void;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let frozen: ((firstBytes: Buffer) => boolean) | undefined;
  const firstBytes = new Map<Socket, Buffer>();
  const isFrozen = (client: Socket): boolean => frozen?.(firstBytes.get(client) ?? Buffer.alloc(0)) === true;
  let port = 0;
  let server: Server | undefined;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = createConnection(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Bytes pass by hand rather than by pipe(), so that freeze() can drop them.
      client.on('data', (chunk: Buffer) => {
        if (!firstBytes.has(client)) firstBytes.set(client, chunk);
        if (!isFrozen(client)) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => isFrozen(client) || client.write(chunk));
      client.on('close', () => firstBytes.delete(client));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as {port: number}).port;
  };
  const stop = async (): Promise<void> => {
    const closing = server === undefined ? Promise.resolve() : new Promise((resolve) => server?.close(resolve));
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await closing;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    cut: stop,
    freeze: (match = () => true) => {
      frozen = match;
    },
    thaw: () => {
      frozen = undefined;
    },
    restore: listen,
    close: stop,
  };
}
