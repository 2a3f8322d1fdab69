import type pg from 'pg';

// The connections books servers hold to PostgreSQL, told apart from
// pg_stat_activity, so that a test or the soak can terminate one kind
// (what a database restart, a failover or a network fault does to it).

export type BackendKind = 'listener' | 'snapshot' | 'pool';

export interface Backend {
  readonly pid: number;
  readonly kind: BackendKind;
  readonly applicationName: string;
  readonly state: string;
}

/**
 * Every connection of a books server to the current database, other than
 * `database` itself and those named `ownName`. The listener names itself
 * (`books listener <pid>`); a snapshot is a read-only REPEATABLE READ
 * transaction left open between pages (or one that names itself
 * `books snapshot...`); any other is the pool's.
 */
export async function booksBackends(database: pg.ClientBase, ownName = ''): Promise<Backend[]> {
  const {rows} = await database.query<{pid: number; name: string; state: string | null; query: string}>(
    `SELECT pid, application_name AS name, state, query FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'
        AND pid <> pg_backend_pid() AND ($1 = '' OR application_name <> $1)`,
    [ownName],
  );
  return rows.map(({pid, name, state, query}) => ({
    pid,
    applicationName: name,
    state: state ?? '',
    kind: name.startsWith('books listener')
      ? 'listener'
      : name.startsWith('books snapshot') || isHeldSnapshot(state ?? '', query)
        ? 'snapshot'
        : 'pool',
  }));
}

/** Between two pages of a snapshot, its transaction waits, its last statement a page of books or its BEGIN. */
function isHeldSnapshot(state: string, query: string): boolean {
  return (
    state === 'idle in transaction' &&
    (/^BEGIN ISOLATION LEVEL REPEATABLE READ/i.test(query) ||
      /\.books WHERE position > \$1 ORDER BY position/.test(query))
  );
}

/** pg_terminate_backend: the backend ends its session as in a fast shutdown (57P01). */
export async function terminateBackend(database: pg.ClientBase, pid: number): Promise<boolean> {
  const {rows} = await database.query<{terminated: boolean}>('SELECT pg_terminate_backend($1) AS terminated', [pid]);
  return rows[0]?.terminated === true;
}
