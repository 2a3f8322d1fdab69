import {ClientError, Status} from 'nice-grpc';
import {isAbortError} from 'abort-controller-x';
import {BadRequestError} from '../client/bad-request.js';
import {InputFileError} from './input-file-error.js';
import {Book, BookList, ChangeType, Empty, type BookChange} from '../gen/books/books.js';

// Output follows the workshop's Go client: a heading, then the message as
// protobuf JSON (fields at their default value left out), indented by two.
// With --json only the JSON is printed, on one line, for scripts.

export function formatBookList(list: BookList, json: boolean): string {
  const body = BookList.toJSON(list);
  if (json) return `${JSON.stringify(body)}\n`;
  return `Server sent ${list.books.length} book(s).\n${pretty(body)}`;
}

// A catalogue too large for one page is printed as it arrives, in the same
// JSON shape, with the count after it (it is not known before the end).

export function formatBookListStart(json: boolean): string {
  return json ? '{"books":[' : '{\n  "books": [\n';
}

export function formatBookListItem(book: Book, index: number, json: boolean): string {
  const body = Book.toJSON(book);
  if (json) return `${index === 0 ? '' : ','}${JSON.stringify(body)}`;
  const indented = JSON.stringify(body, null, 2).replace(/^/gm, '    ');
  return `${index === 0 ? '' : ',\n'}${indented}`;
}

export function formatBookListEnd(count: number, json: boolean): string {
  return json ? ']}\n' : `\n  ]\n}\nServer sent ${count} book(s).\n`;
}

/** One JSON object per line: the export format, which `import` reads back. */
export function formatJsonLine(book: Book): string {
  return `${JSON.stringify(Book.toJSON(book))}\n`;
}

export function formatBook(book: Book, json: boolean): string {
  return formatResponse(Book.toJSON(book), json);
}

export function formatEmpty(json: boolean): string {
  return formatResponse(Empty.toJSON({}), json);
}

function formatResponse(body: unknown, json: boolean): string {
  return json ? `${JSON.stringify(body)}\n` : `Server response:\n${pretty(body)}`;
}

export function formatWatchedBook(book: Book, json: boolean): string {
  const body = Book.toJSON(book);
  return json ? `${JSON.stringify(body)}\n` : `Server stream data received:\n${pretty(body)}`;
}

/** How the call that failed had gone: whether the server was ever reached. */
export interface CallFailure {
  readonly address: string;
  readonly reached: boolean;
}

/** One line for stderr: what failed and why, in terms a person can act on. */
export function formatCallError(what: string, failure: CallFailure, error: unknown): string {
  if (error instanceof ClientError) {
    const unreachable = unreachableReason(error, failure.reached);
    if (unreachable !== undefined) return `books: cannot reach a books server at ${failure.address} (${unreachable})\n`;
    return `books: ${what} failed: ${describeCallError(error, failure)}\n`;
  }
  if (isAbortError(error)) return `books: ${what} cancelled\n`;
  if (error instanceof InputFileError) return `books: ${error.message}\n`;
  return `books: ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`;
}

/** Why a stream from a server that was reached broke, for the line that says it is being opened again. */
export function formatInterruption(error: unknown, address: string): string {
  return error instanceof ClientError ? describeCallError(error, {address, reached: true}) : String(error);
}

/**
 * A failed call in a few words: its status code's name and the server's
 * message, each bad field of a request with its reason, or why the server
 * could not be reached.
 */
export function describeCallError(error: ClientError, failure: CallFailure): string {
  const unreachable = unreachableReason(error, failure.reached);
  if (unreachable !== undefined) return `cannot reach a books server at ${failure.address}: ${unreachable}`;
  const details =
    error instanceof BadRequestError
      ? error.fieldViolations.map(({field, description}) => `${field}: ${description}`).join('; ')
      : error.details;
  const hint = error.code === Status.DEADLINE_EXCEEDED ? ` (no answer from ${failure.address} in time)` : '';
  return `${Status[error.code]}: ${details}${hint}`;
}

// What Node's socket errors mean, for the one line a person reads.
const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found',
};

/**
 * Why no connection to the server could be made, or undefined when the
 * failure came from a server that was reached. grpc-js reports both as
 * UNAVAILABLE and tells them apart only in its message ("No connection
 * established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.
 * Resolution note: "); a channel that never connected can only have failed
 * to connect, whatever the message says.
 */
function unreachableReason(error: ClientError, reached: boolean): string | undefined {
  if (error.code !== Status.UNAVAILABLE) return undefined;
  const {details} = error;
  if (details.startsWith('Name resolution failed')) return 'host name not found';
  if (reached && !details.startsWith('No connection established')) return undefined;
  const socketError = /\b(E[A-Z_]+) /.exec(details)?.[1];
  if (socketError !== undefined && socketError in SOCKET_ERRORS) return SOCKET_ERRORS[socketError];
  const certificate = certificateMismatch(details);
  if (certificate !== undefined) return certificate;
  if (/wrong version number|packet length too long/.test(details))
    return 'TLS handshake failed: is the server using TLS?';
  if (/Last error: Protocol error/.test(details)) return 'not a gRPC server: it does not speak HTTP/2';
  if (/Last error: Failed to connect/.test(details))
    return 'the server closed the connection; if it uses TLS, add --tls or --ca';
  // The last error alone, without grpc-js's framing, an empty resolution note, or a timestamp.
  const lastError = /Last error: (?:Error: )?([^\n]*?)\.?(?: \(\S+\))?\.? Resolution note:/.exec(details)?.[1];
  return lastError ?? details;
}

/**
 * A certificate that does not name the host it was reached by, in words: Node
 * says "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is
 * not in the cert's list: " (the list of the certificate's IP addresses,
 * empty), or "Host: a.example. is not in the cert's altnames: DNS:b.example".
 */
function certificateMismatch(details: string): string | undefined {
  const ip = /does not match certificate's altnames: IP: (\S+) is not in the cert's list/.exec(details)?.[1];
  if (ip !== undefined) {
    return (
      `TLS: the server's certificate does not name the IP address ${ip}; ` +
      `connect by a host name that it names, or add IP:${ip} to its subjectAltName`
    );
  }
  const host =
    /does not match certificate's altnames: Host: (\S+?)\.? is not in the cert's altnames: (.*?)\. Resolution note:/.exec(
      details,
    );
  if (host !== null) return `TLS: the server's certificate names ${host[2]}, not ${host[1]}`;
  return undefined;
}

/** A duration as a person reads it: `34 ms` under a second, `2.3 s` under a minute, then `1 min 23 s`. */
export function formatDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) return `${ms} ms`;
  const tenths = Math.round(seconds * 10);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** Books a second, to two significant figures: a short run's rate is no more precise than that. */
export function formatRate(books: number, seconds: number): string {
  const rate = books / Math.max(seconds, 0.001);
  return `${rate === 0 ? 0 : Number(rate.toPrecision(2))} books/s`;
}

function pretty(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** `+ 12 "Dune" by Frank Herbert` for an insert, `-` for a deletion; with --json, one object per line. */
export function formatChange({type, book, cursor}: BookChange, json: boolean): string {
  const created = type === ChangeType.CHANGE_TYPE_CREATED;
  const {id, title, author} = book ?? {id: 0, title: '', author: ''};
  if (json) return `${JSON.stringify({type: created ? 'created' : 'deleted', book: {id, title, author}, cursor})}\n`;
  return `${created ? '+' : '-'} ${id} ${JSON.stringify(title)} by ${author}\n`;
}
