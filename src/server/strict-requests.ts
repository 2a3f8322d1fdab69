import {BinaryReader} from '@bufbuild/protobuf/wire';

// The generated decoders (src/gen, never edited by hand) read strings
// leniently: invalid UTF-8 becomes U+FFFD, so a client's bad bytes would be
// stored as a title it never sent. Protobuf requires string fields to be
// valid UTF-8, and other gRPC servers (Go, C++) refuse such a request as
// undecodable. The same is done here, where the server hands its service
// definition to nice-grpc: a decoder that throws makes grpc-js answer
// INTERNAL "Error deserializing request" before the service sees the call.
//
// They also stop, without an error, at a tag no message may hold at its top
// level (field number 0, or an end-group with no group open), and return what
// they read so far: plain text beginning with 'D' would be an empty request.
// A request must therefore be read to its last byte.

/** What this module needs of a ts-proto message type. */
interface MessageDecoder {
  decode(input: BinaryReader | Uint8Array, length?: number): unknown;
}

/** What this module needs of a ts-proto service definition. */
interface ServiceDefinitionShape {
  readonly methods: Readonly<Record<string, {readonly requestType: MessageDecoder}>>;
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});

/** `definition` with request decoders that refuse invalid UTF-8, and bytes left unread. */
export function withStrictRequestDecoding<Definition extends ServiceDefinitionShape>(
  definition: Definition,
): Definition {
  const methods = Object.fromEntries(
    Object.entries(definition.methods).map(([key, method]) => [
      key,
      {...method, requestType: strictDecoder(method.requestType)},
    ]),
  );
  // The same shape and types: only the behaviour of decode differs.
  return {...definition, methods} as Definition;
}

function strictDecoder<Type extends MessageDecoder>(type: Type): Type {
  const decode = (input: BinaryReader | Uint8Array, length?: number): unknown => {
    // Nested messages are decoded from the same reader, so they are strict too.
    if (input instanceof BinaryReader) return type.decode(input, length);
    const reader = new BinaryReader(input, (bytes) => strictUtf8.decode(bytes));
    const message = type.decode(reader);
    if (reader.pos !== reader.len) {
      throw new Error(`decoding stopped at byte ${reader.pos} of ${reader.len}, on a tag no message may hold`);
    }
    return message;
  };
  return {...type, decode};
}
