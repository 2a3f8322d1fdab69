import {createRequire} from 'node:module';
import type {MethodDefinition, ServiceDefinition} from '@grpc/grpc-js';
import type {Server, ServiceImplementation} from 'nice-grpc';
import type * as ReflectionPackage from 'nice-grpc-server-reflection';
import type {
  ServerReflectionRequest,
  ServerReflectionResponse,
} from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import {descriptorSet} from '../gen/descriptor-set.js';

/** Bidirectional streaming, in the type too: nice-grpc derives the implementation's shape from it. */
type ReflectionMethod = MethodDefinition<ServerReflectionRequest, ServerReflectionResponse> & {
  requestStream: true;
  responseStream: true;
};
interface ReflectionService extends ServiceDefinition {
  readonly serverReflectionInfo: ReflectionMethod;
}

interface LoadedReflection {
  readonly method: ReflectionMethod;
  readonly implementation: ServiceImplementation<ReflectionService>;
}

const require = createRequire(import.meta.url);

/**
 * Adds server reflection under both names tools use: grpc.reflection.v1,
 * and v1alpha, which grpcui, Postman and Kreya still ask for. The two are
 * the same protocol under another service name, so one implementation
 * serves both.
 *
 * The reflection package (google-protobuf, and the descriptor set decoded
 * into it) is loaded on the first reflection call, not at start-up: it took
 * about 30 ms of the server's start, for a service only tools call.
 */
export function addReflection(server: Server, serviceNames: readonly string[]): void {
  let loaded: LoadedReflection | undefined;
  const load = (): LoadedReflection => {
    if (loaded === undefined) {
      const reflection = require('nice-grpc-server-reflection') as typeof ReflectionPackage;
      loaded = {
        method: reflection.ServerReflectionService.serverReflectionInfo,
        implementation: reflection.ServerReflection(descriptorSet, serviceNames),
      };
    }
    return loaded;
  };
  const implementation: ServiceImplementation<ReflectionService> = {
    async *serverReflectionInfo(requests, context) {
      yield* load().implementation.serverReflectionInfo(requests, context);
    },
  };
  for (const version of ['v1', 'v1alpha']) {
    const path = `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`;
    server.add({serverReflectionInfo: loadedOnUse(path, load)}, implementation);
  }
}

/** The reflection method at `path`, its codecs those of the package once loaded. */
function loadedOnUse(path: string, load: () => LoadedReflection): ReflectionMethod {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: (request) => load().method.requestSerialize(request),
    requestDeserialize: (bytes) => load().method.requestDeserialize(bytes),
    responseSerialize: (response) => load().method.responseSerialize(response),
    responseDeserialize: (bytes) => load().method.responseDeserialize(bytes),
  };
}
