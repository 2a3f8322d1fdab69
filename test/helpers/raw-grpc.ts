import {connect, constants, type ClientHttp2Session, type IncomingHttpHeaders} from 'node:http2';

// A gRPC client with none of a gRPC library's manners: it sends exactly the
// HTTP/2 headers and body bytes a test gives it, so tests can play a broken or
// malicious client, and it reports exactly what the server answered.

/** A gRPC length-prefixed message: compressed flag, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Uint8Array, declaredLength: number = payload.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([prefix, payload]);
}

/** The request headers a conforming client sends; a test may replace or remove any. */
export function grpcHeaders(path: string): Record<string, string> {
  return {
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: path,
    [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
    [constants.HTTP2_HEADER_TE]: 'trailers',
  };
}

export interface RawRequest {
  readonly headers: Record<string, string>;
  /** Written in order, each as it comes (a chunk may be split into several DATA frames). */
  readonly body: readonly Uint8Array[];
}

export interface RawAnswer {
  /** HTTP status of the response headers. */
  readonly httpStatus: number;
  readonly contentType: string | undefined;
  /** From the trailers, or from the headers of a trailers-only response; undefined if the server sent none. */
  readonly grpcStatus: number | undefined;
  /** grpc-message, percent-decoded as the gRPC spec encodes it. */
  readonly grpcMessage: string | undefined;
  /** The response body as it arrived (length-prefixed messages). */
  readonly body: Buffer;
}

/**
 * Sends one request on its own HTTP/2 connection to `address` (host:port),
 * ends the stream, and waits for the server's complete answer. Fails if no
 * complete answer arrives within `timeoutMs`: a server that hangs on bad
 * input fails the test rather than stalling it.
 */
export async function rawCall(address: string, request: RawRequest, timeoutMs = 20_000): Promise<RawAnswer> {
  const session = connect(`http://${address}`);
  // A connection-level error ends the answer below with 'close'; keep it from being thrown.
  session.on('error', () => {});
  try {
    return await exchange(session, request, timeoutMs);
  } finally {
    session.destroy();
  }
}

async function exchange(session: ClientHttp2Session, request: RawRequest, timeoutMs: number): Promise<RawAnswer> {
  const stream = session.request(request.headers, {endStream: false});
  let headers: IncomingHttpHeaders | undefined;
  let trailers: IncomingHttpHeaders | undefined;
  const chunks: Buffer[] = [];
  stream.on('response', (received) => (headers = received));
  stream.on('trailers', (received) => (trailers = received));
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  // The server may answer and reset the stream before the body is written:
  // writes then fail, which is the server's right, not the test's failure.
  stream.on('error', () => {});
  for (const chunk of request.body) stream.write(chunk);
  stream.end();

  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => stream.on('close', () => resolve(true)));
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const answered = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (!answered) throw new Error(`no complete answer within ${timeoutMs} ms`);
  if (headers === undefined) throw new Error(`the stream closed without response headers (RST code ${stream.rstCode})`);

  // A trailers-only response carries the status in its headers.
  const statusSource = trailers ?? headers;
  const grpcStatus = headerValue(statusSource, 'grpc-status');
  const grpcMessage = headerValue(statusSource, 'grpc-message');
  return {
    httpStatus: Number(headers[constants.HTTP2_HEADER_STATUS]),
    contentType: headerValue(headers, constants.HTTP2_HEADER_CONTENT_TYPE),
    grpcStatus: grpcStatus === undefined ? undefined : Number(grpcStatus),
    grpcMessage: grpcMessage === undefined ? undefined : decodeURIComponent(grpcMessage),
    body: Buffer.concat(chunks),
  };
}

/** A header's single value; a repeated header (which these never should be) fails loudly. */
function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new Error(`header ${name} repeated: ${value.join(', ')}`);
  return value;
}
