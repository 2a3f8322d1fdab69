import type pg from 'pg';
import type {BookChange} from '../../src/gen/books/books.js';
import {ChangeType} from '../../src/gen/books/books.js';
import {decodeCursor} from '../../src/domain/feed/index.js';

// The change log as PostgreSQL holds it, read directly with pg rather than
// through the server, to compare what a consumer of the feed received with
// the truth.

export interface LogEntry {
  readonly position: number;
  readonly kind: 'created' | 'deleted';
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

/** The catalogue's identity, which every cursor of `schema` carries. */
export async function catalogueIdOf(database: pg.ClientBase, schema: string): Promise<string> {
  const {rows} = await database.query<{id: string}>(`SELECT catalogue_id AS id FROM ${schema}.change_log`);
  return rows[0]?.id ?? '';
}

export async function lastLoggedPosition(database: pg.ClientBase, schema: string): Promise<number> {
  const {rows} = await database.query<{position: string}>(`SELECT last_position AS position FROM ${schema}.change_log`);
  return Number(rows[0]?.position ?? 0);
}

/** Every change after `after`, ordered by position. */
export async function readChangeLog(database: pg.ClientBase, schema: string, after = 0): Promise<LogEntry[]> {
  const {rows} = await database.query<{
    position: string;
    kind: 'created' | 'deleted';
    id: number;
    title: string;
    author: string;
  }>(`SELECT position, kind, id, title, author FROM ${schema}.changes WHERE position > $1 ORDER BY position`, [after]);
  return rows.map((row) => ({...row, position: Number(row.position)}));
}

/** A change of the feed as the log entry it must match: its cursor names its position. */
export function logEntryOf(change: BookChange, catalogueId: string): LogEntry {
  const {book} = change;
  if (book === undefined) throw new Error('a change without its book');
  return {
    position: decodeCursor(change.cursor, catalogueId),
    kind: change.type === ChangeType.CHANGE_TYPE_CREATED ? 'created' : 'deleted',
    id: book.id,
    title: book.title,
    author: book.author,
  };
}

/** One line per entry, for assert.deepEqual to show where two lists part. */
export function describeLogEntry({position, kind, id, title, author}: LogEntry): string {
  return `${position} ${kind === 'created' ? '+' : '-'}${id} ${JSON.stringify(title)} by ${JSON.stringify(author)}`;
}
