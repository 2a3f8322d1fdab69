const EMPTY = Buffer.alloc(0);
const PREFIX_BYTES = 5;

/** gRPC-Web's flag byte on the frame that carries the trailers, in the body. */
const TRAILER_FLAG = 0x80;

/**
 * Splits an HTTP/2 gRPC response body into messages: each is a compressed
 * flag byte, a 4-byte big-endian length, then the protobuf bytes. A message
 * may span chunks, and a chunk may hold many messages. A gRPC-Web body ends
 * with a frame flagged 0x80 holding the trailers as HTTP/1 header lines:
 * given `onTrailers`, the reader hands it their text.
 */
export class GrpcMessageReader {
  #pending: Buffer = EMPTY;

  /** Calls `onMessage` with each message completed by `chunk`. */
  push(chunk: Buffer, onMessage: (message: Uint8Array) => void, onTrailers?: (text: string) => void): void {
    const buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (buffer.length - offset >= PREFIX_BYTES) {
      const flag = buffer[offset];
      const trailers = flag === TRAILER_FLAG && onTrailers !== undefined;
      if (flag !== 0 && !trailers) throw new Error('compressed gRPC messages are not expected here');
      const length = buffer.readUInt32BE(offset + 1);
      const end = offset + PREFIX_BYTES + length;
      if (end > buffer.length) break;
      const body = buffer.subarray(offset + PREFIX_BYTES, end);
      if (trailers) onTrailers(body.toString('latin1'));
      else onMessage(body);
      offset = end;
    }
    this.#pending = offset === buffer.length ? EMPTY : buffer.subarray(offset);
  }
}

/** The request body of a call whose request is the empty message. */
export const EMPTY_MESSAGE_FRAME = Buffer.alloc(PREFIX_BYTES);
