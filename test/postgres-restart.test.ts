import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import pg from 'pg';
import {createBooksClient, type BooksConnection} from '../src/client/client.js';
import {followChanges} from '../src/client/follow-changes.js';
import type {Book} from '../src/domain/book.js';
import {decodeCursor} from '../src/domain/feed/index.js';
import {
  catalogueIdOf,
  describeLogEntry,
  lastLoggedPosition,
  logEntryOf,
  readChangeLog,
  type LogEntry,
} from './helpers/change-log.js';
import {applyChanges} from './helpers/change-stream.js';
import {eventually} from './helpers/eventually.js';
import {eventuallyAsync} from './helpers/eventually-async.js';
import {booksBackends} from './helpers/pg-backends.js';
import {startServerProcess, type ServerProcess} from './helpers/processes.js';
import {PRIVATE_POSTGRES_AVAILABLE, startPrivatePostgres, type PrivatePostgres} from './helpers/private-postgres.js';
import {WriteLedger} from './helpers/write-ledger.js';

// PostgreSQL restarted under a server that is inserting, deleting, feeding
// a consumer of the change feed and sending a slow reader a snapshot: a fast
// shutdown (what an operator's restart or a failover does: every backend is
// terminated) and an immediate one (a crash, recovered from the WAL). On a
// private server, so that the suites running beside this one keep the
// shared database. Each property is a test of its own, so that one failing
// does not hide the others.

const SERVING = 1;
/** Acknowledged writes to see before the restart, and again after it. */
const WRITES_AROUND_RESTART = 30;
const WRITERS = 4;
/**
 * Books in the catalogue before the writers start: more than flow control
 * lets the server send a reader that has stopped reading, so that its
 * snapshot transaction stays open across the restart.
 */
const EXISTING_BOOKS = 20_000;

/** Who connects to the private server: the pg client a test uses to read the truth. */
async function connectTo(postgres: PrivatePostgres): Promise<pg.Client> {
  const database = new pg.Client({connectionString: postgres.url});
  database.on('error', () => {}); // only used between restarts; a query after a failure throws
  await database.connect();
  return database;
}

if (PRIVATE_POSTGRES_AVAILABLE)
  for (const mode of ['fast', 'immediate'] as const)
    describe(`PostgreSQL restarted (pg_ctl restart -m ${mode}) under inserts, deletes and a change-feed consumer`, () => {
      const cleanups: (() => Promise<unknown> | unknown)[] = [];
      let postgres: PrivatePostgres;
      let server: ServerProcess;
      let writer: BooksConnection;
      const ledger = new WriteLedger(1000);
      let restartedAt = 0;
      // The consumer: every change it received, and where it started.
      const received: LogEntry[] = [];
      let startPosition: number | undefined;
      let consumerFailure: unknown;
      // The slow reader: a copy of the catalogue kept by followChanges with include_existing.
      const copy = new Map<number, Book>();
      let snapshotPosition: number | undefined;
      const afterSnapshot: LogEntry[] = [];
      let snapshotReaderFailure: unknown;
      let resumeSnapshotReader = (): void => {};

      const exitOfServer = (): string | undefined => {
        const {exitCode, signalCode} = server.child;
        if (exitCode === null && signalCode === null) return undefined;
        const lastLogs = server.logs.slice(-3).map((entry) => JSON.stringify(entry));
        return `the server exited (code ${exitCode}, signal ${signalCode}); its last log lines: ${lastLogs.join(' ')}`;
      };
      const acknowledgedSinceRestart = (): number =>
        ledger.records.filter((record) => record.status === 'OK' && record.startedAt >= restartedAt).length;

      before(async () => {
        postgres = await startPrivatePostgres();
        cleanups.push(() => postgres.dispose());
        server = await startServerProcess(['--database-url', postgres.url]);
        cleanups.push(async () => {
          server.child.kill('SIGKILL');
          await server.exited;
        });
        writer = createBooksClient(server.address, {timeoutMs: 10_000});
        cleanups.push(() => writer.close());
        const database = await connectTo(postgres);
        cleanups.push(() => database.end().catch(() => {}));
        const catalogueId = await catalogueIdOf(database, 'public');
        await database.query(
          `INSERT INTO public.books (id, title, author) SELECT n, 'Existing ' || n, 'Seeded' FROM generate_series(1000001, 1000000 + $1) AS n`,
          [EXISTING_BOOKS],
        );

        // The consumer, through a connection of its own, as a program keeping a copy would.
        const reader = createBooksClient(server.address);
        const consuming = new AbortController();
        cleanups.push(
          () => consuming.abort(),
          () => reader.close(),
        );
        void (async () => {
          try {
            for await (const {changes, cursor} of followChanges(reader.client, {
              signal: consuming.signal,
              reached: reader.reached,
            })) {
              // The first response of a stream from now is empty, with the position it starts from.
              if (startPosition === undefined && cursor !== '') startPosition = decodeCursor(cursor, catalogueId);
              received.push(...changes.map((change) => logEntryOf(change, catalogueId)));
            }
          } catch (error: unknown) {
            consumerFailure = error;
          }
        })();
        await eventually('the consumer is watching', () => startPosition !== undefined);

        // The slow reader takes the snapshot's first response, then stops
        // reading until the writers are done: its snapshot transaction is
        // held open, idle, across the restart.
        const slow = createBooksClient(server.address);
        cleanups.push(() => slow.close());
        const resumed = new Promise<void>((resolve) => (resumeSnapshotReader = resolve));
        cleanups.push(() => resumeSnapshotReader());
        let firstBatch = false;
        void (async () => {
          try {
            for await (const {changes, cursor, snapshotRestarted} of followChanges(slow.client, {
              includeExisting: true,
              signal: consuming.signal,
              reached: slow.reached,
            })) {
              if (snapshotRestarted) copy.clear();
              if (snapshotPosition === undefined) {
                if (cursor !== '') snapshotPosition = decodeCursor(cursor, catalogueId);
              } else afterSnapshot.push(...changes.map((change) => logEntryOf(change, catalogueId)));
              applyChanges(copy, changes);
              if (!firstBatch) {
                firstBatch = true;
                await resumed;
              }
            }
          } catch (error: unknown) {
            snapshotReaderFailure = error;
          }
        })();
        await eventuallyAsync('a snapshot transaction held open for the slow reader', async () =>
          (await booksBackends(database)).some((backend) => backend.kind === 'snapshot'),
        );

        const writing = new AbortController();
        const writers = Array.from({length: WRITERS}, async (_, worker) => {
          for (let round = 0; !writing.signal.aborted; round++) {
            // Two inserts for each delete, so the catalogue grows and deletes always find a book.
            const status =
              round % 3 === 2
                ? await ledger.deleteOne(writer.client, worker)
                : await ledger.insert(writer.client, ledger.newBook(), worker);
            // A server that is down answers at once: do not spin on it.
            if (status !== 'OK' && status !== undefined) await delay(20);
          }
        });
        cleanups.push(() => writing.abort());
        await eventually('writes are acknowledged', () => ledger.acknowledged >= WRITES_AROUND_RESTART);
        await postgres.restart(mode);
        restartedAt = Date.now();
        // The writers go on until they have been acknowledged again, or the
        // server is gone; the tests below say which.
        await eventually(
          'writes acknowledged again after the restart (or the server gone)',
          () => acknowledgedSinceRestart() >= WRITES_AROUND_RESTART || exitOfServer() !== undefined,
          30_000,
        ).catch(() => {});
        writing.abort();
        await Promise.all(writers);
        resumeSnapshotReader();
      });
      after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
      });

      test('the server process is still running', () => {
        assert.equal(exitOfServer(), undefined);
      });

      test('health is SERVING again', async () => {
        await eventuallyAsync(
          'health SERVING',
          async () => (await writer.health.check({service: ''}).catch(() => undefined))?.status === SERVING,
          exitOfServer,
        );
      });

      test('inserts and deletes are acknowledged again after the restart, and a new insert is', async () => {
        assert.ok(
          acknowledgedSinceRestart() >= WRITES_AROUND_RESTART,
          `${acknowledgedSinceRestart()} writes acknowledged since the restart; ${exitOfServer() ?? ''}`,
        );
        assert.equal(await ledger.insert(writer.client, ledger.newBook('After the restart')), 'OK');
      });

      test('every write that failed during the restart failed with UNAVAILABLE', () => {
        const failures = new Map<string, number>();
        for (const {status} of ledger.records)
          if (status !== 'OK') failures.set(status, (failures.get(status) ?? 0) + 1);
        assert.deepEqual(
          [...failures.keys()].filter((status) => status !== 'UNAVAILABLE'),
          [],
          JSON.stringify([...failures]),
        );
      });

      /** Reads the truth on a new connection: PostgreSQL accepting one is itself a check. */
      const withDatabase = async (read: (database: pg.Client) => Promise<void>): Promise<void> => {
        const database = await connectTo(postgres);
        try {
          await read(database);
        } finally {
          await database.end();
        }
      };
      /** Waits until a reader has received the log's last change, or never will; the assertions say which. */
      const catchUp = async (database: pg.Client, reached: () => number, failure: () => unknown): Promise<void> => {
        const last = await lastLoggedPosition(database, 'public');
        await eventually(
          `position ${last}`,
          () => reached() >= last || exitOfServer() !== undefined || failure() !== undefined,
        ).catch(() => {});
        assert.equal(failure(), undefined);
      };

      test('a new connection to PostgreSQL succeeds, and every acknowledged write is in the database', () =>
        withDatabase(async (database) => {
          const log = await readChangeLog(database, 'public');
          const {rows} = await database.query<Book>('SELECT id, title, author FROM public.books');
          assert.deepEqual(ledger.problems(log, rows), []);
          assert.ok(ledger.inserted.size > 0, 'the writers wrote');
        }));

      test('the consumer got every change of the log exactly once, in order', () =>
        withDatabase(async (database) => {
          await catchUp(
            database,
            () => received.at(-1)?.position ?? 0,
            () => consumerFailure,
          );
          const log = await readChangeLog(database, 'public', startPosition);
          assert.deepEqual(received.map(describeLogEntry), log.map(describeLogEntry), exitOfServer());
        }));

      test('the reader paused inside a snapshot ends with a copy equal to the catalogue, and every later change once', () =>
        withDatabase(async (database) => {
          await catchUp(
            database,
            () => afterSnapshot.at(-1)?.position ?? snapshotPosition ?? 0,
            () => snapshotReaderFailure,
          );
          const {rows} = await database.query<Book>('SELECT id, title, author FROM public.books ORDER BY id');
          const sorted = [...copy.values()].sort((a, b) => a.id - b.id);
          assert.equal(sorted.length, rows.length, exitOfServer());
          assert.deepEqual(sorted, rows);
          const log = await readChangeLog(database, 'public', snapshotPosition);
          assert.deepEqual(afterSnapshot.map(describeLogEntry), log.map(describeLogEntry));
        }));
    });
