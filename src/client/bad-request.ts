import {ClientError, type ClientMiddleware} from 'nice-grpc';

/** A bad field of a request, as the server named it (`title`, `page_size`), and why. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * A call the server refused for bad fields, with the google.rpc.BadRequest
 * it sent (in the standard `grpc-status-details-bin` trailer): still a
 * ClientError with the same code and message.
 */
export class BadRequestError extends ClientError {
  override readonly name = 'BadRequestError';
  constructor(
    error: ClientError,
    readonly fieldViolations: readonly FieldViolation[],
  ) {
    super(error.path, error.code, error.details);
  }
}

const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';

/** Turns a failed call's google.rpc.BadRequest details, if it has any, into a BadRequestError. */
export const badRequestMiddleware: ClientMiddleware = async function* badRequestMiddleware(call, options) {
  let statusDetails: Uint8Array | undefined;
  try {
    return yield* call.next(call.request, {
      ...options,
      onTrailer: (trailer) => {
        statusDetails = trailer.get('grpc-status-details-bin');
        options.onTrailer?.(trailer);
      },
    });
  } catch (error: unknown) {
    if (!(error instanceof ClientError) || statusDetails === undefined) throw error;
    const fieldViolations = await decodeFieldViolations(statusDetails);
    throw fieldViolations.length === 0 ? error : new BadRequestError(error, fieldViolations);
  }
};

/** The field violations of every BadRequest in a google.rpc.Status; none if it cannot be read. */
async function decodeFieldViolations(statusDetails: Uint8Array): Promise<FieldViolation[]> {
  // Loaded on the first failure that has details, not at every start of the CLI.
  const [{Status}, {BadRequest}] = await Promise.all([
    import('../gen/google/rpc/status.js'),
    import('../gen/google/rpc/error_details.js'),
  ]);
  try {
    return Status.decode(statusDetails)
      .details.filter(({typeUrl}) => typeUrl === BAD_REQUEST_TYPE_URL)
      .flatMap(({value}) => BadRequest.decode(value).fieldViolations)
      .map(({field, description}) => ({field, description}));
  } catch {
    return [];
  }
}
