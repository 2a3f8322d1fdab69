import {Agent, request} from 'node:http';

/**
 * One unary call in the Connect protocol, binary (`application/proto`),
 * over HTTP/1.1 keep-alive: `message` is the encoded request, the result
 * the encoded response. Rejects unless the server answers 200.
 *
 * As lean as `http2UnaryCall` (node:http and a Buffer, no client library),
 * so that the load process stays cheaper than the server it measures.
 */
export function connectUnaryCall(
  agent: Agent,
  address: string,
  path: string,
  message: Uint8Array,
): Promise<Uint8Array> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const call = request(
      {
        agent,
        host,
        port,
        method: 'POST',
        path,
        headers: {'content-type': 'application/proto', 'content-length': message.byteLength},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          if (response.statusCode === 200) resolve(body);
          else reject(new Error(`${path}: HTTP ${response.statusCode} ${body.toString('utf8').slice(0, 200)}`));
        });
      },
    );
    call.on('error', reject);
    call.end(message);
  });
}

/** A keep-alive agent holding up to `sockets` connections: one per caller, as HTTP/1.1 answers one call at a time. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets});
}

export function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon).replace(/^\[|\]$/g, ''), Number(address.slice(colon + 1))];
}
