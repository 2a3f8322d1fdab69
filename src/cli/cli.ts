import {cac, type CAC} from 'cac';
import {delay, isAbortError} from 'abort-controller-x';
import {ClientError, Status} from 'nice-grpc';
import {HealthCheckResponse_ServingStatus} from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import {
  createBooksClient,
  DEFAULT_ADDRESS,
  DEFAULT_TIMEOUT_MS,
  type BooksClient,
  type BooksConnection,
} from '../client/client.js';
import {MAX_BOOK_ID} from '../domain/book.js';
import {existsSync, readFileSync} from 'node:fs';
import {bookPages} from '../client/book-pages.js';
import type {Book} from '../gen/books/books.js';
import {readBookRecords} from './book-records.js';
import {importBooks} from './import-books.js';
import {
  formatBook,
  formatBookList,
  formatBookListEnd,
  formatBookListItem,
  formatBookListStart,
  formatCallError,
  formatEmpty,
  formatJsonLine,
  formatWatchedBook,
} from './print.js';

/** Where the CLI writes, and what stops a running watch: the process, or a test. */
export interface CliIo {
  /** Resolves once the text may be followed by more without growing a buffer. */
  readonly stdout: (text: string) => void | Promise<void>;
  /** Progress is drawn on stderr only when a person is watching it. */
  readonly stderrIsTerminal: boolean;
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
  readonly concurrency: unknown;
  readonly tls: boolean | {readonly ca: Buffer};
  readonly token: string | undefined;
  readonly reconnect: boolean;
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
    .option(
      '--timeout <ms>',
      `deadline of each call, retries included; for watch, of opening the stream (default ${DEFAULT_TIMEOUT_MS})`,
    )
    .option('--tls', 'connect with TLS, trusting the system certificate authorities')
    .option('--ca <file>', 'connect with TLS, trusting this PEM certificate authority')
    .option('--token-file <file>', 'file holding the bearer token (env BOOKS_TOKEN holds the token itself)');
  program.command('list', 'List all books').action(
    run((options) => call(io, options, 'list', (client) => list(client, io, options))),
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
    .option('--reconnect', 'open the stream again, with backoff, when it breaks (say, a server restart)')
    .action(run((options) => call(io, options, 'watch', (client) => watch(client, io, options))));
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
    // cac reads a negative number as an option: say what is really wrong.
    if (/^Unknown option `-\d+`$/.test(error.message)) error.message = 'ids are positive integers';
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
    io.stderr(formatCallError(what, options.address, gaveUp ? retriedFor : error));
    return EXIT_CALL_FAILED;
  } finally {
    connection.close();
  }
}

async function list(client: BooksClient, io: CliIo, options: GlobalOptions): Promise<void> {
  const pages = bookPages(client)[Symbol.asyncIterator]();
  const first = await pages.next();
  const second = await pages.next();
  if (second.done) {
    // The whole catalogue in one page: exactly the workshop client's output.
    await io.stdout(formatBookList({books: first.done ? [] : first.value}, options.json));
    return;
  }
  // More than a page: print as pages arrive, so memory stays bounded.
  await io.stdout(formatBookListStart(options.json));
  let count = 0;
  const print = async (page: Book[]): Promise<void> => {
    for (const book of page) await io.stdout(formatBookListItem(book, count++, options.json));
  };
  await print(first.done ? [] : first.value);
  await print(second.value);
  for (let next = await pages.next(); !next.done; next = await pages.next()) await print(next.value);
  await io.stdout(formatBookListEnd(count, options.json));
}

async function runImport(
  client: BooksClient,
  io: CliIo,
  options: GlobalOptions,
  file: string,
  concurrency: number,
): Promise<void> {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  let lastDrawn = 0;
  const summary = await importBooks(client, readBookRecords(file), {
    concurrency,
    onProgress: io.stderrIsTerminal
      ? ({inserted, alreadyExisted, invalid}) => {
          if (performance.now() - lastDrawn < 200) return;
          lastDrawn = performance.now();
          io.stderr(`\r${inserted} inserted, ${alreadyExisted} already existed, ${invalid} invalid`);
        }
      : undefined,
  });
  if (io.stderrIsTerminal) io.stderr('\r\x1b[K');
  const rate = Math.round((summary.inserted + summary.alreadyExisted) / Math.max(summary.seconds, 0.001));
  if (options.json) {
    await io.stdout(`${JSON.stringify({...summary, booksPerSecond: rate})}\n`);
  } else {
    await io.stdout(
      `Imported ${file}: ${summary.inserted} inserted, ${summary.alreadyExisted} already existed, ` +
        `${summary.invalid} invalid, in ${summary.seconds.toFixed(1)} s (${rate} books/s)\n`,
    );
    for (const {line, reason} of summary.invalidLines) await io.stdout(`  line ${line}: ${reason}\n`);
    if (summary.invalid > summary.invalidLines.length) {
      await io.stdout(`  ... and ${summary.invalid - summary.invalidLines.length} more invalid lines\n`);
    }
  }
  if (summary.invalid > 0) throw new Error(`${summary.invalid} invalid line(s) not imported`);
}

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

/** Prints books as they are inserted; with --reconnect, opens the stream again after it breaks. */
async function watch(client: BooksClient, io: CliIo, options: GlobalOptions): Promise<void> {
  let backoffMs = RECONNECT_FIRST_MS;
  for (;;) {
    let interruption: string;
    try {
      await watchOnce(client, io, options, () => (backoffMs = RECONNECT_FIRST_MS));
      if (io.signal.aborted) return;
      if (!options.reconnect) {
        io.stderr('books: the server ended the watch\n');
        return;
      }
      interruption = 'the server ended the watch';
    } catch (error: unknown) {
      if (!options.reconnect || !isWorthReconnecting(error)) throw error;
      interruption = error instanceof ClientError ? `${Status[error.code]}: ${error.details}` : String(error);
    }
    io.stderr(
      `books: watch interrupted (${interruption}); reconnecting in ${backoffMs} ms (books inserted meanwhile are not shown)\n`,
    );
    try {
      await delay(io.signal, backoffMs);
    } catch {
      return; // Ctrl-C while waiting
    }
    backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
  }
}

/** A server restarting, unreachable for a while, or shedding a slow watcher: worth another try. */
function isWorthReconnecting(error: unknown): boolean {
  if (error instanceof WatchOpenTimeoutError) return true;
  return (
    error instanceof ClientError &&
    [Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED, Status.DEADLINE_EXCEEDED, Status.INTERNAL].includes(error.code)
  );
}

class WatchOpenTimeoutError extends Error {}

async function watchOnce(client: BooksClient, io: CliIo, options: GlobalOptions, onOpen: () => void): Promise<void> {
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
          onOpen();
          if (!options.json) io.stderr(`Watching ${options.address} for inserted books (Ctrl-C to stop)\n`);
        },
      },
    );
    for await (const book of books) await io.stdout(formatWatchedBook(book, options.json));
  } catch (error: unknown) {
    if (isAbortError(error) && io.signal.aborted) return;
    if (isAbortError(error) && !opened) {
      throw new WatchOpenTimeoutError(`no answer from ${options.address} within ${options.timeout} ms`);
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
  const timeout = positiveInteger('--timeout', options['timeout'] ?? DEFAULT_TIMEOUT_MS);
  const service = options['service'] === undefined ? undefined : String(options['service']);
  const ca = options['ca'] === undefined ? undefined : readOption('--ca', String(options['ca']));
  const tls = ca === undefined ? options['tls'] === true : {ca};
  const tokenFile = options['tokenFile'];
  const token = (tokenFile === undefined ? env['BOOKS_TOKEN'] : readOption('--token-file', String(tokenFile)).toString())?.trim();
  return {
    address,
    json: options['json'] === true,
    timeout,
    service,
    concurrency: options['concurrency'],
    tls,
    token: token === '' ? undefined : token,
    reconnect: options['reconnect'] === true,
  };
}

function readOption(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error: unknown) {
    throw new UsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function positiveInteger(flag: string, value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new UsageError(`${flag} needs a positive integer`);
  return number;
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
