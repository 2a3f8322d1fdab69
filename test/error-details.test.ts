import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {create, createFileRegistry, fromBinary, toBinary, type DescMessage} from '@bufbuild/protobuf';
import {anyUnpack, FileDescriptorSetSchema, type Any} from '@bufbuild/protobuf/wkt';
import {Client, credentials, status, type ServiceError} from '@grpc/grpc-js';
import {descriptorSet} from '../src/gen/descriptor-set.js';
import {startBooksServer, type TestServer} from './helpers/books-server.js';

// What a client that is not ours sees: a bare @grpc/grpc-js client, with
// requests and the google.rpc.Status trailer encoded and decoded by
// @bufbuild/protobuf from the .proto files (the descriptor set reflection
// serves), neither nice-grpc nor the generated code.

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));

function message(name: string): DescMessage {
  const descriptor = registry.getMessage(name);
  assert.ok(descriptor !== undefined, `${name} is in the descriptor set`);
  return descriptor;
}

interface Violation {
  readonly field: string;
  readonly description: string;
}

interface RichStatus {
  readonly code: number;
  readonly message: string;
  readonly grpcMessage: string;
  readonly violations: readonly Violation[];
}

/** Calls `method` of books.BookService with `request` (JSON field names); resolves to its failure. */
async function failureOf(
  client: Client,
  method: string,
  requestType: string,
  request: Record<string, unknown>,
): Promise<ServiceError> {
  const type = message(requestType);
  return new Promise<ServiceError>((resolve, reject) => {
    client.makeUnaryRequest(
      `/books.BookService/${method}`,
      (value: Record<string, unknown>) => Buffer.from(toBinary(type, create(type, value))),
      (bytes: Buffer) => bytes,
      request,
      (failure, response) =>
        failure === null ? reject(new Error(`succeeded: ${String(response)}`)) : resolve(failure),
    );
  });
}

/** The failure of a call that must fail with details, decoded. */
async function failingCall(
  client: Client,
  method: string,
  requestType: string,
  request: Record<string, unknown>,
): Promise<RichStatus> {
  const error = await failureOf(client, method, requestType, request);
  const [details] = error.metadata.get('grpc-status-details-bin');
  assert.ok(Buffer.isBuffer(details), 'the trailer holds grpc-status-details-bin');
  const rpcStatus = fromBinary(message('google.rpc.Status'), details) as unknown as {
    code: number;
    message: string;
    details: Any[];
  };
  const [detail, ...others] = rpcStatus.details;
  assert.ok(detail !== undefined && others.length === 0, 'one detail');
  const badRequest = anyUnpack(detail, registry) as unknown as {
    $typeName: string;
    fieldViolations: {field: string; description: string}[];
  };
  assert.equal(badRequest.$typeName, 'google.rpc.BadRequest');
  assert.equal(error.code, rpcStatus.code, 'google.rpc.Status repeats grpc-status');
  return {
    code: rpcStatus.code,
    message: rpcStatus.message,
    grpcMessage: error.details,
    violations: badRequest.fieldViolations.map(({field, description}) => ({field, description})),
  };
}

describe('INVALID_ARGUMENT carries google.rpc.BadRequest', () => {
  let books: TestServer;
  let client: Client;
  before(async () => {
    books = await startBooksServer();
    client = new Client(books.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await books.close();
  });

  test('one field violation per bad field, named as in the .proto file', async () => {
    const insert = await failingCall(client, 'Insert', 'books.Book', {id: 0, title: ' ', author: 'Someone'});
    assert.equal(insert.code, status.INVALID_ARGUMENT);
    assert.deepEqual(insert.violations, [
      {field: 'id', description: 'must be a positive 32-bit integer, got 0'},
      {field: 'title', description: 'must not be empty or blank'},
    ]);
    assert.equal(insert.message, insert.grpcMessage, 'google.rpc.Status repeats grpc-message');

    const get = await failingCall(client, 'Get', 'books.BookIdRequest', {id: -4});
    assert.deepEqual(get.violations, [{field: 'id', description: 'must be a positive 32-bit integer, got -4'}]);

    const page = await failingCall(client, 'ListBooks', 'books.ListBooksRequest', {pageSize: -1, pageToken: 'nope'});
    assert.deepEqual(
      page.violations.map(({field}) => field),
      ['page_size', 'page_token'],
    );
  });

  test('other failures carry no details', async () => {
    const error = await failureOf(client, 'Get', 'books.BookIdRequest', {id: 404});
    assert.equal(error.code, status.NOT_FOUND);
    assert.deepEqual(error.metadata.get('grpc-status-details-bin'), []);
  });
});
