import {ClientError, Status} from 'nice-grpc';
import {isAbortError} from 'abort-controller-x';
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

/** One line for stderr: what failed, the status code's name, and the server's details. */
export function formatCallError(what: string, address: string, error: unknown): string {
  if (error instanceof ClientError) {
    // The hint fits a server that cannot be reached, not one that said it is stopping.
    const unreachable = error.code === Status.UNAVAILABLE && /No connection established|ECONNREFUSED|connect/i.test(error.details);
    const hint =
      unreachable
        ? ` (is a books server running at ${address}?)`
        : error.code === Status.DEADLINE_EXCEEDED
          ? ` (no answer from ${address} in time)`
          : '';
    return `books: ${what} failed: ${Status[error.code]}: ${error.details}${hint}\n`;
  }
  if (isAbortError(error)) return `books: ${what} cancelled\n`;
  return `books: ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`;
}

/** Why a stream broke, for the line that says it is being opened again. */
export function formatInterruption(error: unknown): string {
  return error instanceof ClientError ? `${Status[error.code]}: ${error.details}` : String(error);
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
