// Keeps a copy of the catalogue in a Map, in sync with a books server, and
// says each change it applies: the snapshot, then every insert and delete,
// resumed from the last cursor after any break (the list-then-watch pattern).
//
//   node examples/sync.mjs [host:port]      (default 127.0.0.1:50051; Ctrl-C stops it)
//
// Plain JavaScript that Node runs as it is. As TypeScript (in an ES module
// project, `"type": "module"`), import `type Book` too and write
// `new Map<number, Book>()`.
import {ChangeType, createBooksClient, followChanges} from 'books/client';

const address = process.argv[2] ?? '127.0.0.1:50051';
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const {client, reached, close} = createBooksClient(address);
/** @type {Map<number, import('books/client').Book>} */
const books = new Map();
let inSync = false;
console.log(`following ${address}`);
try {
  const feed = followChanges(client, {
    includeExisting: true,
    reached, // a server never reached is an error at once, not retried
    signal: stop.signal,
    onInterrupted: (error, retryInMs) => console.log(`stream broke (${String(error)}); again in ${retryInMs} ms`),
  });
  for await (const {changes, cursor, snapshotRestarted} of feed) {
    if (snapshotRestarted) books.clear(); // the stream broke inside the snapshot, which starts again
    for (const {type, book} of changes) {
      if (book === undefined) continue;
      const created = type === ChangeType.CHANGE_TYPE_CREATED;
      if (created) books.set(book.id, book);
      else books.delete(book.id);
      if (inSync)
        console.log(`${created ? '+' : '-'} ${book.id} "${book.title}" by ${book.author}: ${books.size} book(s)`);
    }
    // Only the snapshot's last response carries a cursor: from then on the Map is the catalogue.
    if (!inSync && cursor !== '') {
      inSync = true;
      console.log(`in sync: ${books.size} book(s)`);
    }
    // To resume after a restart of this program, store `cursor` (when not empty)
    // and pass it back as followChanges(client, {afterCursor: cursor}).
  }
  console.log(`stopped with ${books.size} book(s)`);
} catch (error) {
  console.error(`sync failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  close();
}
