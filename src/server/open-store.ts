import type {BookStore} from '../domain/book-store.js';
import {SEED_BOOKS} from '../domain/seed-books.js';
import {MemoryStore} from '../store/memory-store.js';
import {SqliteStore} from '../store/sqlite-store.js';
import type {Config} from './config.js';
import type {Logger} from './logger.js';

/** The settings that choose and shape the store. */
export type StoreSettings = Pick<
  Config,
  'store' | 'sqlitePath' | 'databaseUrl' | 'databaseSchema' | 'databaseMaxConnections' | 'snapshotIdleTimeoutMs'
>;

/** Opens the configured store; a new one starts with the workshop's book. */
export async function openStore(settings: StoreSettings, logger: Logger): Promise<BookStore> {
  switch (settings.store) {
    case 'memory':
      return new MemoryStore(SEED_BOOKS);
    case 'sqlite':
      return new SqliteStore(settings.sqlitePath, SEED_BOOKS, settings);
    case 'postgres': {
      const {databaseUrl} = settings;
      // loadConfig chooses the postgres store only with a database URL.
      if (databaseUrl === undefined) throw new Error('the postgres store needs a database URL');
      // Loaded only when used: pg adds to the start-up of every other store.
      const {PostgresStore} = await import('../store/postgres-store.js');
      return PostgresStore.open(
        {
          databaseUrl,
          databaseSchema: settings.databaseSchema,
          databaseMaxConnections: settings.databaseMaxConnections,
          snapshotIdleTimeoutMs: settings.snapshotIdleTimeoutMs,
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
