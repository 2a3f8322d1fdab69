import {once} from 'node:events';
import {connect, type ClientHttp2Session, type ClientHttp2Stream} from 'node:http2';
import {WatchChangesRequest} from '../../src/gen/books/books.js';
import {grpcFrame, grpcHeaders} from './raw-grpc.js';

/**
 * A WatchChanges stream whose client reads nothing: HTTP/2 flow control then
 * stops the server once the stream's window is full, as a stalled or
 * hostile client would. Bytes are read only when the test says so.
 */
export interface StalledStream {
  /** Resolves with the response headers' grpc-status if the call ended at once (trailers-only), else undefined. */
  readonly opened: Promise<number | undefined>;
  /** Reads everything the server sends from now on, and returns the call's grpc-status and grpc-message. */
  readToEnd(): Promise<{status: number | undefined; message: string | undefined}>;
  close(): void;
}

/** One HTTP/2 connection for many stalled streams, as one client would open them. */
export function stalledConnection(address: string): {
  open(request: {includeExisting?: boolean; afterCursor?: string}): StalledStream;
  close(): void;
} {
  const session: ClientHttp2Session = connect(`http://${address}`);
  session.on('error', () => {});
  return {
    open(request) {
      const stream: ClientHttp2Stream = session.request(grpcHeaders('/books.BookService/WatchChanges'));
      stream.on('error', () => {});
      // Paused: nothing is consumed, so no window update goes back to the server.
      stream.pause();
      const payload = WatchChangesRequest.encode(WatchChangesRequest.fromPartial(request)).finish();
      stream.end(grpcFrame(payload));
      let trailers: Record<string, unknown> | undefined;
      stream.on('trailers', (received) => (trailers = received));
      const opened = once(stream, 'response').then((args) => {
        const status = (args[0] as Record<string, unknown>)['grpc-status'];
        return status === undefined ? undefined : Number(status);
      });
      opened.catch(() => {});
      return {
        opened,
        async readToEnd() {
          const closed = once(stream, 'close');
          stream.on('data', () => {});
          stream.resume();
          await closed;
          const status = trailers?.['grpc-status'];
          const message = trailers?.['grpc-message'];
          return {
            status: status === undefined ? undefined : Number(status),
            message: message === undefined ? undefined : decodeURIComponent(String(message)),
          };
        },
        close: () => stream.close(),
      };
    },
    close: () => session.destroy(),
  };
}
