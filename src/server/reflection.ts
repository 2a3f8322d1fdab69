import type {Server} from 'nice-grpc';
import {ServerReflection, ServerReflectionService} from 'nice-grpc-server-reflection';
import {descriptorSet} from '../gen/descriptor-set.js';

/**
 * Adds server reflection under both names tools use: grpc.reflection.v1,
 * and v1alpha, which grpcui, Postman and Kreya still ask for. The two are
 * the same protocol under another service name, so one implementation
 * serves both.
 */
export function addReflection(server: Server, serviceNames: readonly string[]): void {
  const reflection = ServerReflection(descriptorSet, serviceNames);
  server.add(ServerReflectionService, reflection);
  server.add(
    {
      serverReflectionInfo: {
        ...ServerReflectionService.serverReflectionInfo,
        path: '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
      },
    },
    reflection,
  );
}
