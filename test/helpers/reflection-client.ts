import * as grpc from '@grpc/grpc-js';
import {loadFileDescriptorSetFromBuffer} from '@grpc/proto-loader';
import {createChannel, createClient} from 'nice-grpc';
import {ServerReflectionService} from 'nice-grpc-server-reflection';
// google-protobuf's CommonJS output hides its names from ESM named imports.
import reflectionMessages from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';

const {ServerReflectionRequest} = reflectionMessages;
type ServerReflectionRequest = InstanceType<typeof ServerReflectionRequest>;

const V1ALPHA_PATH = '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo';

/**
 * What grpcurl does with no .proto at hand: asks the server's reflection
 * service for its services and their file descriptors, then builds a dynamic
 * client from those descriptors alone.
 */
export class ReflectionClient {
  readonly #address: string;
  readonly #definition;

  constructor(address: string, version: 'v1' | 'v1alpha') {
    this.#address = address;
    this.#definition =
      version === 'v1'
        ? ServerReflectionService
        : {serverReflectionInfo: {...ServerReflectionService.serverReflectionInfo, path: V1ALPHA_PATH}};
  }

  async listServices(): Promise<string[]> {
    const [response] = await this.#ask([new ServerReflectionRequest().setListServices('*')]);
    return (response?.getListServicesResponse()?.getServiceList() ?? []).map((service) => service.getName()).sort();
  }

  /** The encoded FileDescriptorProtos that define `symbol`, with their dependencies. */
  async filesContaining(symbol: string): Promise<Uint8Array[]> {
    const [response] = await this.#ask([new ServerReflectionRequest().setFileContainingSymbol(symbol)]);
    const error = response?.getErrorResponse();
    if (error !== undefined) throw new Error(`reflection error ${error.getErrorCode()}: ${error.getErrorMessage()}`);
    return response?.getFileDescriptorResponse()?.getFileDescriptorProtoList_asU8() ?? [];
  }

  /** A grpc-js package definition built only from what reflection returned for `symbol`. */
  async loadService(symbol: string): Promise<grpc.GrpcObject> {
    const files = await this.filesContaining(symbol);
    // A FileDescriptorSet is just its files, each as field 1.
    const set = Buffer.concat(files.flatMap((file) => [Buffer.from([0x0a]), varint(file.length), Buffer.from(file)]));
    return grpc.loadPackageDefinition(loadFileDescriptorSetFromBuffer(set, {longs: Number}));
  }

  async #ask(requests: ServerReflectionRequest[]) {
    const channel = createChannel(this.#address);
    try {
      const client = createClient(this.#definition, channel);
      const responses = [];
      async function* send(): AsyncGenerator<ServerReflectionRequest> {
        yield* requests;
      }
      for await (const response of client.serverReflectionInfo(send())) responses.push(response);
      return responses;
    } finally {
      channel.close();
    }
  }
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
