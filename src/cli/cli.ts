import {cac} from 'cac';
import {ClientError, Status} from 'nice-grpc';
import {HealthCheckResponse_ServingStatus} from '../client/index.js';
import {bookPages} from '../client/book-pages.js';
import {
  createBooksClient,
  DEFAULT_ADDRESS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  type BooksClient,
  type BooksConnection,
} from '../client/client.js';
import type {CliIo} from './cli-io.js';
import {changes} from './changes-command.js';
import {runImport} from './import-command.js';
import {list} from './list-command.js';
import {parseId, positiveInteger, readGlobalOptions, UsageError, type GlobalOptions} from './options.js';
import {packageVersion} from './package-version.js';
import {formatBook, formatCallError, formatEmpty, formatJsonLine} from './print.js';
import {watch} from './watch-command.js';

export type {CliIo} from './cli-io.js';

export const EXIT_OK = 0;
export const EXIT_CALL_FAILED = 1;
export const EXIT_USAGE = 2;

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
    .option(
      '--address <host[:port]>',
      `server address, port ${DEFAULT_PORT} if left out (env BOOKS_ADDRESS, default ${DEFAULT_ADDRESS})`,
    )
    .option(
      '--json',
      'print JSON only, one line per response: get the book, insert and delete {}, list one {"books":[...]} object, ' +
        'watch and changes one per book or change, import its summary',
    )
    .option(
      '--timeout <ms>',
      `deadline of each call, retries included; for watch, of opening the stream (default ${DEFAULT_TIMEOUT_MS})`,
    )
    .option('--tls', 'connect with TLS, trusting the system certificate authorities')
    .option('--ca <file>', 'connect with TLS, trusting this PEM certificate authority')
    .option('--token-file <file>', 'file holding the bearer token (env BOOKS_TOKEN holds the token itself)');
  program
    .command('list', 'List all books')
    .action(run((options) => call(io, options, 'list', (client) => list(client, io, options))));
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
    .option('--reconnect', 'open the stream again, with jittered backoff, when it breaks (say, a server restart)')
    .action(run((options) => call(io, options, 'watch', (client, {reached}) => watch(client, io, options, reached))));
  program
    .command('changes', 'Print every insert and delete as it happens, resumable from a cursor, until Ctrl-C')
    .option('--from <cursor>', 'start right after this cursor (from an earlier --json line)')
    .option('--existing', 'first print every book already in the catalogue, as inserts')
    .option(
      '--reconnect',
      'after any break, resume from the last change with jittered backoff: nothing lost, nothing repeated',
    )
    .option(
      '--cursor-file <file>',
      'start after the cursor stored in this file, if any, and store it after each change',
    )
    .action(
      run((options) =>
        call(io, options, 'changes', (client, {reached}) => changes(client, io, options, options, reached)),
      ),
    );
  program.command('export', 'Write every book as JSON Lines (one object per line)').action(
    run((options) =>
      call(io, options, 'export', async (client) => {
        for await (const page of bookPages(client)) {
          for (const book of page) await io.stdout(formatJsonLine(book));
        }
      }),
    ),
  );
  program
    .command('import <file>', 'Insert the books of a CSV file (header: id,title,author) or a JSON Lines file')
    .option('--concurrency <n>', 'inserts in flight at once (default 32)')
    .action(
      run((options, file) => {
        const concurrency = positiveInteger('--concurrency', options.concurrency ?? 32);
        return call(io, options, `import ${file}`, (client) => runImport(client, io, options, file ?? '', concurrency));
      }),
    );
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
  // Run by the `books` bin before this parser is reached (src/bin/books.ts): listed here for the help only.
  program
    .command('server', 'Run the server (`books server --help` lists its options)')
    .allowUnknownOptions()
    .action(run(() => Promise.reject(new UsageError('run the server as `books server`'))));
  program.help();
  program.version(packageVersion());
  program.usage('<command> [options]');

  try {
    // cac prints --help and --version with console.info: they belong on the CLI's stdout.
    withConsoleInfo(
      (text) => io.stdout(text),
      () => program.parse(['node', 'books', ...argv], {run: false}),
    );
    const versionShown = program.options['version'] === true && program.matchedCommand === undefined;
    if (program.options['help'] === true || versionShown) return EXIT_OK;
    if (program.matchedCommand === undefined) {
      const [name] = program.args;
      throw new UsageError(name === undefined ? 'missing command' : `unknown command "${name}"`);
    }
    program.runMatchedCommand();
    return await (result ?? Promise.resolve(EXIT_OK));
  } catch (error: unknown) {
    if (!(error instanceof UsageError || isCacError(error))) throw error;
    // cac reads a negative number as an option: say what is really wrong.
    if (/^Unknown option `-\d+`$/.test(error.message)) error.message = 'ids are positive integers';
    // One line that says what is wrong, and where the rest is: help would bury it.
    const command = program.matchedCommand?.name;
    io.stderr(`books: ${error.message}\nRun 'books ${command === undefined ? '' : `${command} `}--help' for usage.\n`);
    return EXIT_USAGE;
  }
}

async function call(
  io: CliIo,
  options: GlobalOptions,
  what: string,
  body: (client: BooksClient, connection: BooksConnection) => Promise<void>,
): Promise<number> {
  // A read retried until its deadline is best explained by why it was retried.
  let retriedFor: ClientError | undefined;
  const connection = createBooksClient(options.address, {
    timeoutMs: options.timeout,
    tls: options.tls,
    token: options.token,
    onRetry: (error) => (retriedFor = error),
  });
  try {
    await body(connection.client, connection);
    return EXIT_OK;
  } catch (error: unknown) {
    if (error instanceof UsageError) throw error;
    const gaveUp = error instanceof ClientError && error.code === Status.DEADLINE_EXCEEDED && retriedFor !== undefined;
    io.stderr(
      formatCallError(what, {address: options.address, reached: connection.reached()}, gaveUp ? retriedFor : error),
    );
    return EXIT_CALL_FAILED;
  } finally {
    connection.close();
  }
}

/** Runs `body` with cac's console.info output sent to `write`. */
function withConsoleInfo(write: (text: string) => unknown, body: () => unknown): void {
  const info = console.info;
  console.info = (text: unknown) => void write(`${String(text)}\n`);
  try {
    body();
  } finally {
    console.info = info;
  }
}

function isCacError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'CACError';
}
