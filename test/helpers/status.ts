import {ClientError, type Status} from 'nice-grpc';

/** For assert.rejects: the call failed with this gRPC status code. */
export function hasCode(code: Status): (error: unknown) => boolean {
  return (error) => error instanceof ClientError && error.code === code;
}
