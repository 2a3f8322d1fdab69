import type {BookStore} from '../domain/book-store.js';
import {SEED_BOOKS} from '../domain/seed-books.js';
import {MemoryStore} from '../store/memory-store.js';
import {SqliteStore} from '../store/sqlite-store.js';
import type {Config} from './config.js';
import type {Logger} from './logger.js';

/** Opens the configured store; a new one starts with the workshop's book. */
export async function openStore(config: Config, logger: Logger): Promise<BookStore> {
  switch (config.store) {
    case 'memory':
      return new MemoryStore(SEED_BOOKS);
    case 'sqlite':
      return new SqliteStore(config.sqlitePath, SEED_BOOKS, {snapshotIdleTimeoutMs: config.snapshotIdleTimeoutMs});
    case 'postgres': {
      // Loaded only when used: pg adds to the start-up of every other store.
      const {PostgresStore} = await import('../store/postgres-store.js');
      return PostgresStore.open(
        {
          connectionString: config.databaseUrl ?? '',
          schema: config.databaseSchema,
          maxConnections: config.databaseMaxConnections,
          snapshotIdleTimeoutMs: config.snapshotIdleTimeoutMs,
          onListenError: (error, retryInMs) =>
            logger.warn('lost the database notification connection; reconnecting', {
              error: String(error),
              retryInMs,
            }),
        },
        SEED_BOOKS,
      );
    }
  }
}
