import {connect, type ClientHttp2Session} from 'node:http2';

/** A plaintext HTTP/2 connection to a gRPC server, once it is established. */
export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}
