import type {ChangeKind, LoggedChange} from '../domain/change.js';
import {ChangesTrimmedError} from '../domain/errors.js';

/** A row of the `changes` table, as SQLite and PostgreSQL return it (bigint as a string). */
export interface ChangeRow {
  readonly position: number | string;
  readonly kind: ChangeKind;
  readonly id: number;
  readonly title: string;
  readonly author: string;
}

/**
 * The changes in `rows`, read after position `after`; ChangesTrimmedError
 * if the first of them is no longer kept. Positions have no gaps, so a first
 * change past `after + 1` means those between were trimmed.
 */
export function checkedChanges(after: number, rows: readonly ChangeRow[]): LoggedChange[] {
  const changes = rows.map(({position, kind, id, title, author}) => ({
    kind,
    book: {id, title, author},
    position: Number(position),
  }));
  const first = changes[0];
  if (first !== undefined && first.position !== after + 1) throw new ChangesTrimmedError(first.position - 1);
  return changes;
}
