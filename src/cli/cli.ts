import {cac, type CAC} from 'cac';
import {isAbortError} from 'abort-controller-x';
import {HealthCheckResponse_ServingStatus} from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import {
  createBooksClient,
  DEFAULT_ADDRESS,
  DEFAULT_TIMEOUT_MS,
  type BooksClient,
  type BooksConnection,
} from '../client/client.js';
import {MAX_BOOK_ID} from '../domain/book.js';
import {formatBook, formatBookList, formatCallError, formatEmpty, formatWatchedBook} from './print.js';

/** Where the CLI writes, and what stops a running watch: the process, or a test. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C or SIGTERM: ends `watch` with exit status 0. */
  readonly signal: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_CALL_FAILED = 1;
export const EXIT_USAGE = 2;

interface GlobalOptions {
  readonly address: string;
  readonly json: boolean;
  readonly timeout: number;
  readonly service: string | undefined;
}

class UsageError extends Error {}

class NotServingError extends Error {
  constructor(status: string) {
    super(`server reports ${status}`);
  }
}

/** Runs one CLI command and resolves to the process exit status. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = cac('books');
  let result: Promise<number> | undefined;
  const run =
    (what: (options: GlobalOptions, ...args: string[]) => Promise<number>) =>
    (...args: unknown[]): void => {
      const options = readGlobalOptions(args.pop(), io.env);
      result = what(options, ...args.map(String));
    };

  program
    .option('--address <host:port>', `server address (env BOOKS_ADDRESS, default ${DEFAULT_ADDRESS})`)
    .option('--json', 'print JSON only: one object per line')
    .option('--timeout <ms>', `deadline of each call in milliseconds (default ${DEFAULT_TIMEOUT_MS})`);
  program.command('list', 'List all books').action(
    run((options) =>
      call(io, options, 'list', async (client) => {
        io.stdout(formatBookList(await client.list({}), options.json));
      }),
    ),
  );
  program.command('insert <id> <title> <author>', 'Insert a book').action(
    run((options, id, title, author) => {
      const book = {id: parseId(id), title: title ?? '', author: author ?? ''};
      return call(io, options, `insert ${book.id}`, async (client) => {
        await client.insert(book);
        io.stdout(formatEmpty(options.json));
      });
    }),
  );
  program.command('get <id>', 'Get a book by its ID').action(
    run((options, id) => {
      const bookId = parseId(id);
      return call(io, options, `get ${bookId}`, async (client) => {
        io.stdout(formatBook(await client.get({id: bookId}), options.json));
      });
    }),
  );
  program.command('delete <id>', 'Delete a book by its ID').action(
    run((options, id) => {
      const bookId = parseId(id);
      return call(io, options, `delete ${bookId}`, async (client) => {
        await client.delete({id: bookId});
        io.stdout(formatEmpty(options.json));
      });
    }),
  );
  program
    .command('watch', 'Watch for inserted books until Ctrl-C')
    .action(run((options) => call(io, options, 'watch', (client) => watch(client, io, options))));
  program
    .command('health', 'Exit 0 if the server reports SERVING (for container health checks)')
    .option('--service <name>', 'check one service, e.g. books.BookService (default: the whole server)')
    .action(
      run((options) =>
        call(io, options, 'health', async (_client, {health}) => {
          const service = options.service ?? '';
          const {status} = await health.check({service});
          const name = HealthCheckResponse_ServingStatus[status] ?? String(status);
          io.stdout(options.json ? `${JSON.stringify({service, status: name})}\n` : `${name}\n`);
          if (status !== HealthCheckResponse_ServingStatus.SERVING) throw new NotServingError(name);
        }),
      ),
    );
  program.help();
  program.usage('<command> [options]');

  try {
    program.parse(['node', 'books', ...argv], {run: false});
    if (program.options['help'] === true) return EXIT_OK;
    if (program.matchedCommand === undefined) {
      const [name] = program.args;
      throw new UsageError(name === undefined ? 'missing command' : `unknown command "${name}"`);
    }
    program.runMatchedCommand();
    return await (result ?? Promise.resolve(EXIT_OK));
  } catch (error: unknown) {
    if (!(error instanceof UsageError || isCacError(error))) throw error;
    io.stderr(`books: ${error.message}\n\n`);
    helpOnStderr(program, io);
    return EXIT_USAGE;
  }
}

async function call(
  io: CliIo,
  options: GlobalOptions,
  what: string,
  body: (client: BooksClient, connection: BooksConnection) => Promise<void>,
): Promise<number> {
  const connection = createBooksClient(options.address, {timeoutMs: options.timeout});
  try {
    await body(connection.client, connection);
    return EXIT_OK;
  } catch (error: unknown) {
    io.stderr(formatCallError(what, options.address, error));
    return EXIT_CALL_FAILED;
  } finally {
    connection.close();
  }
}

async function watch(client: BooksClient, io: CliIo, options: GlobalOptions): Promise<void> {
  // The stream itself has no deadline, but opening it does: a server that
  // never answers must not leave the CLI hanging.
  const opening = new AbortController();
  const timer = setTimeout(() => opening.abort(), options.timeout);
  let opened = false;
  try {
    const books = client.watch(
      {},
      {
        signal: AbortSignal.any([io.signal, opening.signal]),
        onHeader: () => {
          opened = true;
          clearTimeout(timer);
          if (!options.json) io.stderr(`Watching ${options.address} for inserted books (Ctrl-C to stop)\n`);
        },
      },
    );
    for await (const book of books) io.stdout(formatWatchedBook(book, options.json));
    io.stderr('books: the server ended the watch\n');
  } catch (error: unknown) {
    if (isAbortError(error) && io.signal.aborted) return;
    if (isAbortError(error) && !opened) {
      throw new Error(`no answer from ${options.address} within ${options.timeout} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function readGlobalOptions(raw: unknown, env: CliIo['env']): GlobalOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  const address = options['address'] ?? env['BOOKS_ADDRESS'] ?? DEFAULT_ADDRESS;
  if (typeof address !== 'string' || address === '') throw new UsageError('--address needs host:port');
  const timeout = Number(options['timeout'] ?? DEFAULT_TIMEOUT_MS);
  if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError('--timeout needs a positive number of milliseconds');
  const service = options['service'] === undefined ? undefined : String(options['service']);
  return {address, json: options['json'] === true, timeout, service};
}

function parseId(text: string | undefined): number {
  const id = /^-?\d+$/.test(text ?? '') ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(id) && Math.abs(id) <= MAX_BOOK_ID)) {
    throw new UsageError(`<id> must be an integer that fits in 32 bits, got "${text ?? ''}"`);
  }
  return id;
}

/** cac prints help with console.info; after a usage error it belongs on stderr. */
function helpOnStderr(program: CAC, io: CliIo): void {
  const info = console.info;
  console.info = (text: unknown) => io.stderr(`${String(text)}\n`);
  try {
    program.outputHelp();
  } finally {
    console.info = info;
  }
}

function isCacError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'CACError';
}
