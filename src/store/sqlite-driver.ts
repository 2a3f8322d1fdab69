import {createRequire} from 'node:module';

/** The little of a SQLite binding that SqliteStore uses: node:sqlite and better-sqlite3 both have it. */
export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

export interface SqliteStatement {
  run(...params: unknown[]): {changes: number | bigint};
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

const require = createRequire(import.meta.url);

/**
 * Node's built-in node:sqlite where it exists (Node 22.13 and later), else
 * better-sqlite3. Not better-sqlite3 everywhere: on Node 24 its statements
 * can abort the process when the garbage collector frees them (its
 * Statement destructor asserts on a missing Node environment), and Node 20
 * has no node:sqlite.
 */
export function defaultSqliteDriver(): SqliteDriverName {
  return hasNodeSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

function hasNodeSqlite(): boolean {
  try {
    require('node:sqlite');
    return true;
  } catch {
    return false;
  }
}

export function openSqlite(path: string, driver: SqliteDriverName = defaultSqliteDriver()): SqliteDatabase {
  if (driver === 'node:sqlite') {
    const {DatabaseSync} = require('node:sqlite') as {DatabaseSync: new (path: string) => SqliteDatabase};
    return new DatabaseSync(path);
  }
  const BetterSqlite = require('better-sqlite3') as new (path: string) => SqliteDatabase;
  return new BetterSqlite(path);
}
