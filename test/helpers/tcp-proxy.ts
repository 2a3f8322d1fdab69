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
   */
  freeze(): void;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let frozen = false;
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
      client.on('data', (chunk: Buffer) => frozen || upstream.write(chunk));
      upstream.on('data', (chunk: Buffer) => frozen || client.write(chunk));
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
    freeze: () => {
      frozen = true;
    },
    restore: listen,
    close: stop,
  };
}
