import {connect, type ClientHttp2Session} from 'node:http2';

/**
 * Receive window for a whole connection. HTTP/2's default, 64 KiB, is shared
 * by every stream on the connection: 1,250 watchers on one connection receive
 * more than that per insert, and the server would stall mid-fan-out until
 * the load process found time to send a WINDOW_UPDATE. Real clients grow
 * their window too (grpc-go up to 16 MiB), so the limit is not the server's.
 */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

/** A plaintext HTTP/2 connection to a gRPC server, once it is established. */
export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('connect', () => {
      session.off('error', reject);
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      resolve(session);
    });
    session.once('error', reject);
  });
}
