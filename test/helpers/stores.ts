import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import type {Book} from '../../src/domain/book.js';
import type {BookStore} from '../../src/domain/book-store.js';
import {MemoryStore} from '../../src/store/memory-store.js';
import {defaultConfig} from '../../src/server/config.js';
import {PostgresStore, type PostgresStoreOptions} from '../../src/store/postgres-store.js';
import {defaultSqliteDriver, type SqliteDriverName} from '../../src/store/sqlite-driver.js';
import {SqliteStore} from '../../src/store/sqlite-store.js';

/** PostgreSQL for tests: CI sets it to the local server's `test` database. */
export const TEST_DATABASE_URL = process.env['BOOKS_TEST_DATABASE_URL'] || undefined;

/**
 * Why PostgreSQL tests cannot run, or undefined when they can. In CI a
 * missing database is a failure, not a skip.
 */
export function postgresSkipReason(): string | undefined {
  if (TEST_DATABASE_URL !== undefined) return undefined;
  const reason = 'BOOKS_TEST_DATABASE_URL is not set';
  if (process.env['CI'] === 'true') throw new Error(`${reason}, and CI must run the PostgreSQL tests`);
  return reason;
}

/**
 * Suites that cannot run here are not registered (each file would report
 * them again); `pnpm test` names them once, in one line (skipped-suites.ts).
 */
export const POSTGRES_AVAILABLE = postgresSkipReason() === undefined;

/** A PostgresStore in `schema` of the test database, its other settings at the server's defaults. */
export function postgresStoreOptions(schema: string): PostgresStoreOptions {
  return {...defaultConfig(), databaseUrl: TEST_DATABASE_URL ?? '', databaseSchema: schema};
}

/**
 * The server picks node:sqlite where Node has it, else better-sqlite3;
 * each is tested where the server would use it.
 */
function sqliteSkipReason(driver: SqliteDriverName): string | undefined {
  if (driver === defaultSqliteDriver()) return undefined;
  return driver === 'node:sqlite'
    ? 'node:sqlite store: not in this version of Node (the server uses better-sqlite3)'
    : 'better-sqlite3 store: the server uses node:sqlite on this version of Node (better-sqlite3 can abort the process on Node 24)';
}

let schemas = 0;
/** A schema of its own for each test, so that test files can run side by side. */
export function uniqueSchema(): string {
  return `books_test_${process.pid}_${++schemas}_${Date.now() % 100_000}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({connectionString: TEST_DATABASE_URL});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A kind of store, opened afresh (and reopened on the same data) by the tests. */
export interface StoreUnderTest {
  readonly name: string;
  /** Set when this kind cannot run here; the tests are skipped with this reason. */
  readonly skip: string | undefined;
  /** A new, empty place for data; `open` it as often as needed, then `dispose`. */
  create(): StoreLocation;
}

export interface StoreLocation {
  open(seed?: readonly Book[]): Promise<BookStore>;
  dispose(): Promise<void>;
}

export const STORES: readonly StoreUnderTest[] = [
  {
    name: 'memory',
    skip: undefined,
    create() {
      // Memory has no data to reopen: each open starts afresh.
      return {open: async (seed) => new MemoryStore(seed), dispose: async () => {}};
    },
  },
  ...(['node:sqlite', 'better-sqlite3'] as const).map(
    (driver): StoreUnderTest => ({
      name: `sqlite (${driver})`,
      skip: sqliteSkipReason(driver),
      create() {
        const dir = mkdtempSync(join(tmpdir(), 'books-test-'));
        return {
          open: async (seed) => new SqliteStore(join(dir, 'books.db'), seed ?? [], {...defaultConfig(), driver}),
          dispose: async () => rmSync(dir, {recursive: true, force: true}),
        };
      },
    }),
  ),
  {
    name: 'postgres',
    skip: POSTGRES_AVAILABLE
      ? undefined
      : `PostgreSQL suites (store, kill -9, outages, replicas): ${postgresSkipReason()}`,
    create() {
      const schema = uniqueSchema();
      return {
        open: (seed) => PostgresStore.open(postgresStoreOptions(schema), seed),
        dispose: () => dropSchema(schema),
      };
    },
  },
];

/** The kinds of store that can run here. */
export const RUNNABLE_STORES = STORES.filter((kind) => kind.skip === undefined);
