import {BinaryReader} from '@bufbuild/protobuf/wire';

// The generated decoders (src/gen, never edited by hand) read strings
// leniently: invalid UTF-8 becomes U+FFFD, so a client's bad bytes would be
// stored as a title it never sent. Protobuf requires string fields to be
// valid UTF-8, and other gRPC servers (Go, C++) refuse such a request as
// undecodable. The same is done here, where the server hands its service
// definition to nice-grpc: a decoder that throws makes grpc-js answer
// INTERNAL "Error deserializing request" before the service sees the call.

/** What this module needs of a ts-proto message type. */
interface MessageDecoder {
  decode(input: BinaryReader | Uint8Array, length?: number): unknown;
}

/** What this module needs of a ts-proto service definition. */
interface ServiceDefinitionShape {
  readonly methods: Readonly<Record<string, {readonly requestType: MessageDecoder}>>;
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true});

/** `definition` with request decoders that refuse invalid UTF-8 in string fields. */
export function withStrictRequestDecoding<Definition extends ServiceDefinitionShape>(definition: Definition): Definition {
  const methods = Object.fromEntries(
    Object.entries(definition.methods).map(([key, method]) => [key, {...method, requestType: strictDecoder(method.requestType)}]),
  );
  // The same shape and types: only the behaviour of decode differs.
  return {...definition, methods} as Definition;
}

function strictDecoder<Type extends MessageDecoder>(type: Type): Type {
  return {
    ...type,
    // Nested messages are decoded from the same reader, so they are strict too.
    decode: (input: BinaryReader | Uint8Array, length?: number) =>
      type.decode(input instanceof BinaryReader ? input : new BinaryReader(input, (bytes) => strictUtf8.decode(bytes)), length),
  };
}
