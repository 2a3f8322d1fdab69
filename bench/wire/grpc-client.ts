import {Client, credentials, type MethodDefinition, type ServiceError} from '@grpc/grpc-js';

/**
 * A plain @grpc/grpc-js client on a connection of its own: a local
 * subchannel pool, because grpc-js otherwise shares one connection between
 * every client of the same address.
 */
export async function connectClient(address: string): Promise<Client> {
  const client = new Client(address, credentials.createInsecure(), {'grpc.use_local_subchannel_pool': 1});
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
  );
  return client;
}

/** One unary call; rejects with the ServiceError if the call fails. */
export function unaryCall<Request, Response>(
  client: Client,
  method: MethodDefinition<Request, Response>,
  request: Request,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      (error: ServiceError | null, response?: Response) => (error === null ? resolve(response!) : reject(error)),
    );
  });
}
