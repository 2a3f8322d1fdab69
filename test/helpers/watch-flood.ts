import {connect as connectHttp2, type ClientHttp2Session} from 'node:http2';
import {connect as connectTcp, type Socket} from 'node:net';
import {grpcFrame, grpcHeaders} from './raw-grpc.js';

export interface WatchFloodOptions {
  /** TCP connections, each one HTTP/2 session. */
  readonly connections: number;
  /** Watch streams opened on each connection. */
  readonly watchesPerConnection: number;
  /** How long every watch may take to be registered. */
  readonly timeoutMs: number;
}

export interface WatchFlood {
  /**
   * Closes every socket with no HTTP/2 goodbye (no RST_STREAM, no GOAWAY):
   * half of them with a FIN, half with a TCP RST, as a client process that
   * died or a connection that was cut would.
   */
  drop(): void;
}

/**
 * Opens `connections` x `watchesPerConnection` Watch streams on raw HTTP/2
 * connections and resolves once the server has registered every one (each
 * stream's response headers arrived). Rejects if a watch is refused or does
 * not register in time; the sockets are then closed.
 */
export async function openWatchFlood(address: string, options: WatchFloodOptions): Promise<WatchFlood> {
  const [host, port] = splitAddress(address);
  const sockets: Socket[] = [];
  const registrations: Promise<void>[] = [];
  for (let i = 0; i < options.connections; i++) {
    const socket = connectTcp(port, host);
    sockets.push(socket);
    // Socket errors (a reset, mostly) surface as the session closing; nothing to report.
    socket.on('error', () => {});
    const session = connectHttp2(`http://${address}`, {createConnection: () => socket});
    session.on('error', () => {});
    for (let j = 0; j < options.watchesPerConnection; j++) registrations.push(openWatch(session));
  }
  const drop = (): void => {
    for (const [i, socket] of sockets.entries()) {
      if (i % 2 === 0) socket.destroy();
      else socket.resetAndDestroy();
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the watches were not all registered within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(registrations), timedOut]);
  } catch (error: unknown) {
    drop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return {drop};
}

/** Resolves when the server's response headers say the watch is registered; rejects on any other answer. */
function openWatch(session: ClientHttp2Session): Promise<void> {
  const stream = session.request(grpcHeaders('/books.BookService/Watch'), {endStream: false});
  stream.on('error', () => {});
  stream.end(grpcFrame(new Uint8Array(0)));
  return new Promise<void>((resolve, reject) => {
    stream.on('response', (headers) => {
      if (headers['books-watch'] === 'registered') resolve();
      else reject(new Error(`watch refused: ${JSON.stringify(headers)}`));
    });
    stream.on('close', () => reject(new Error('the watch stream closed before it was registered')));
  });
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
