import {ClientError, Status} from 'nice-grpc';
import type {BooksClient} from '../../src/client/client.js';
import type {Book} from '../../src/domain/book.js';
import type {LogEntry} from './change-log.js';

/** One insert or delete as its caller saw it. */
export interface WriteRecord {
  readonly kind: 'insert' | 'delete';
  readonly id: number;
  /** Which of the writer's servers it went to. */
  readonly via: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** 'OK', a gRPC status name, or the message of an error that carried none. */
  readonly status: string;
}

export function statusOf(error: unknown): string {
  if (error instanceof ClientError) return Status[error.code];
  return `not a gRPC status: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * What a writer was told about each of its writes. An acknowledged write
 * must be in the database; a failed one may or may not be (the reply may
 * have been lost after the commit), so its book is left alone from then on.
 * Every insert takes a new id, so each id has at most one insert and one
 * delete in the log.
 */
export class WriteLedger {
  readonly records: WriteRecord[] = [];
  /** Acknowledged inserts, by id. */
  readonly inserted = new Map<number, Book>();
  /** Acknowledged deletes. */
  readonly deleted = new Set<number>();
  /** Deletes that failed: the book may be gone or not. */
  readonly doubtfulDeletes = new Set<number>();
  /** Acknowledged, not deleted and not being deleted: what the next delete may take. */
  readonly #live: number[] = [];
  #nextId: number;

  constructor(firstId: number) {
    this.#nextId = firstId;
  }

  get acknowledged(): number {
    return this.records.filter((record) => record.status === 'OK').length;
  }

  newBook(title = 'Written'): Book {
    const id = this.#nextId++;
    return {id, title: `${title} ${id}`, author: 'Writer'};
  }

  /** Inserts `book` and records the outcome; returns the status. */
  async insert(client: BooksClient, book: Book, via = 0): Promise<string> {
    const status = await this.#record('insert', book.id, via, () => client.insert(book));
    if (status === 'OK') {
      this.inserted.set(book.id, book);
      this.#live.push(book.id);
    }
    return status;
  }

  /** Deletes a book that is acknowledged and not deleted yet, if there is one. */
  async deleteOne(client: BooksClient, via = 0): Promise<string | undefined> {
    if (this.#live.length === 0) return undefined;
    // Any live book, not always the newest: deletes reach across the catalogue.
    const [id] = this.#live.splice(Math.floor(Math.random() * this.#live.length), 1) as [number];
    const status = await this.#record('delete', id, via, () => client.delete({id}));
    if (status === 'OK') this.deleted.add(id);
    else this.doubtfulDeletes.add(id);
    return status;
  }

  async #record(kind: WriteRecord['kind'], id: number, via: number, write: () => Promise<unknown>): Promise<string> {
    const startedAt = Date.now();
    let status = 'OK';
    try {
      await write();
    } catch (error: unknown) {
      status = statusOf(error);
    }
    this.records.push({kind, id, via, startedAt, endedAt: Date.now(), status});
    return status;
  }

  /**
   * What the log and the table (`stored`: the books in the database) say
   * against what was acknowledged: one line per problem, none when every
   * acknowledged write is there exactly as acknowledged.
   */
  problems(log: readonly LogEntry[], stored: readonly Book[]): string[] {
    const problems: string[] = [];
    const logged = new Map<number, LogEntry[]>();
    for (const entry of log) logged.set(entry.id, [...(logged.get(entry.id) ?? []), entry]);
    const table = new Map(stored.map((book) => [book.id, book]));
    for (const [id, book] of this.inserted) {
      const entries = logged.get(id) ?? [];
      const created = entries.filter((entry) => entry.kind === 'created');
      const [creation] = created;
      if (creation === undefined || created.length !== 1)
        problems.push(`acknowledged insert of ${id}: ${created.length} created changes in the log`);
      else if (creation.title !== book.title || creation.author !== book.author)
        problems.push(`acknowledged insert of ${id}: logged as ${JSON.stringify(creation)}`);
      const deletions = entries.filter((entry) => entry.kind === 'deleted');
      if (this.deleted.has(id) && deletions.length !== 1)
        problems.push(`acknowledged delete of ${id}: ${deletions.length} deleted changes in the log`);
      if (deletions.length > 1 || (deletions.length === 1 && entries[0]?.kind !== 'created'))
        problems.push(`book ${id}: logged as ${entries.map((entry) => `${entry.position} ${entry.kind}`).join(', ')}`);
      if (this.deleted.has(id) && table.has(id)) problems.push(`acknowledged delete of ${id}: still in the table`);
      if (!this.deleted.has(id) && !this.doubtfulDeletes.has(id)) {
        const row = table.get(id);
        if (row === undefined) problems.push(`acknowledged insert of ${id}: not in the table`);
        else if (row.title !== book.title || row.author !== book.author)
          problems.push(`acknowledged insert of ${id}: the table holds ${JSON.stringify(row)}`);
      }
    }
    // Refused for what it held: nothing of it may be stored.
    for (const {kind, id, status} of this.records)
      if (kind === 'insert' && status === 'INVALID_ARGUMENT' && (logged.has(id) || table.has(id)))
        problems.push(`insert of ${id} refused with INVALID_ARGUMENT, yet stored`);
    return problems;
  }
}
