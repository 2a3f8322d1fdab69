import {setMaxListeners} from 'node:events';
import {setTimeout as delay} from 'node:timers/promises';
import {createBooksClient, type BooksConnection} from '../../src/client/client.js';
import type {PrivatePostgres} from '../../test/helpers/private-postgres.js';
import {statusOf, type WriteLedger, type WriteRecord} from '../../test/helpers/write-ledger.js';
import {say} from './clock.js';
import type {CliConsumer} from './consumer.js';
import type {Replica} from './replica.js';
import type {Truth} from './truth.js';

export const FAULT_KINDS = [
  'terminate-pool',
  'terminate-listener',
  'terminate-snapshot',
  'pg-restart',
  'kill-consumer',
  'kill-replica',
  'nul-burst',
  'idle-streams',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults of the PostgreSQL server itself, which a SQLite run has no use for. */
export const POSTGRES_FAULTS: ReadonlySet<FaultKind> = new Set([
  'terminate-pool',
  'terminate-listener',
  'terminate-snapshot',
  'pg-restart',
]);

/** Everything a fault acts on. */
export interface SoakWorld {
  readonly replicas: readonly Replica[];
  /** The writer's connection to each replica, by index. */
  readonly connections: readonly BooksConnection[];
  readonly consumer: CliConsumer;
  readonly truth: Truth;
  readonly postgres: PrivatePostgres | undefined;
  readonly ledger: WriteLedger;
  readonly random: () => number;
  /** Starts the consumer again, from its cursor file, on a replica that is up. */
  startConsumer(): Promise<void>;
}

/** One fault: what was done, what went wrong in it, and which failed writes it explains. */
export interface Fault {
  readonly kind: FaultKind;
  readonly number: number;
  /** From here until its recovery (and a grace after), failed writes may be its doing. */
  readonly startedAt: number;
  injectedAt?: number;
  detail: string;
  /** Why it was not injected this time (nothing to act on). */
  skipped?: string;
  readonly problems: string[];
  /** How the streams it opened ended, by outcome. */
  readonly outcomes: Map<string, number>;
  /** Whether a failed write is this fault's expected doing. */
  allows(record: WriteRecord): boolean;
  recoveredAt?: number;
}

export function newFault(kind: FaultKind, number: number): Fault {
  return {kind, number, startedAt: Date.now(), detail: '', problems: [], outcomes: new Map(), allows: () => false};
}

/** Prints the fault with the time it is injected. */
function announce(fault: Fault, detail: string): void {
  fault.injectedAt = Date.now();
  fault.detail = detail;
  say(`fault ${fault.number}: ${fault.kind}: ${detail}`, fault.injectedAt);
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function pick<T>(items: readonly T[], random: () => number): T {
  return pickEntry(items, random)[1];
}

/** A random item of a list that must not be empty, and its index. */
function pickEntry<T>(items: readonly T[], random: () => number): [number, T] {
  const index = Math.floor(random() * items.length);
  const item = items[index];
  if (item === undefined) throw new Error('nothing to pick from');
  return [index, item];
}

/** Resolves to the value, or to undefined after `ms` (the work goes on, unheeded). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  const timeout = new AbortController();
  try {
    return await Promise.race([work, delay(ms, undefined, {signal: timeout.signal}).catch(() => undefined)]);
  } finally {
    timeout.abort();
  }
}

/** Waits until `find` finds something, for `ms` at most. */
async function poll<T>(find: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await find().catch(() => undefined);
    if (found !== undefined || Date.now() > deadline) return found;
    await delay(50);
  }
}

const UNAVAILABLE_ANYWHERE = (record: WriteRecord): boolean => record.status === 'UNAVAILABLE';

async function terminatePool(world: SoakWorld, fault: Fault): Promise<void> {
  const pool = (await world.truth.backends!()).filter((backend) => backend.kind === 'pool');
  if (pool.length === 0) {
    fault.skipped = 'no pool connection open';
    return;
  }
  const target = pick(pool, world.random);
  // Which replica's it was is not known: a write on any may meet it.
  fault.allows = UNAVAILABLE_ANYWHERE;
  announce(fault, `pg_terminate_backend(${target.pid}), a pool connection (${target.state})`);
  await world.truth.terminate!(target.pid);
}

async function terminateListener(world: SoakWorld, fault: Fault): Promise<void> {
  const replica = pick(
    world.replicas.filter((candidate) => candidate.running),
    world.random,
  );
  const listener = (await world.truth.backends!()).find(
    (backend) => backend.applicationName === `books listener ${replica.pid}`,
  );
  if (listener === undefined) {
    fault.skipped = `replica ${replica.name} has no listener connection open`;
    return;
  }
  announce(fault, `pg_terminate_backend(${listener.pid}), the listener of replica ${replica.name}`);
  await world.truth.terminate!(listener.pid);
}

/**
 * A reader that takes the first response of an include_existing snapshot
 * and stops reading holds the snapshot's transaction open; its connection
 * is terminated, and the stream must end with UNAVAILABLE (the reader then
 * starts again), the server going on.
 */
async function terminateSnapshot(world: SoakWorld, fault: Fault): Promise<void> {
  const replica = pick(
    world.replicas.filter((candidate) => candidate.running),
    world.random,
  );
  const connection = createBooksClient(replica.address);
  const reading = new AbortController();
  try {
    const stream = connection.client
      .watchChanges({afterCursor: '', includeExisting: true}, {signal: reading.signal})
      [Symbol.asyncIterator]();
    const first = await within(
      stream.next().then(
        () => 'first response',
        (error: unknown) => statusOf(error),
      ),
      10_000,
    );
    if (first !== 'first response') {
      fault.skipped = `the include_existing stream on replica ${replica.name} got no snapshot: ${first ?? 'no response within 10 s'}`;
      if (first !== undefined && first !== 'RESOURCE_EXHAUSTED' && first !== 'UNAVAILABLE')
        fault.problems.push(`an include_existing stream failed with ${first}`);
      return;
    }
    const held = await poll(async () => {
      const snapshots = (await world.truth.backends!()).filter((backend) => backend.kind === 'snapshot');
      return snapshots.length > 0 ? snapshots : undefined;
    }, 10_000);
    if (held === undefined) {
      fault.skipped = 'no snapshot transaction held open (the snapshot fit in the buffers?)';
      return;
    }
    const target = pick(held, world.random);
    announce(fault, `pg_terminate_backend(${target.pid}), a snapshot held by a reader on replica ${replica.name}`);
    await world.truth.terminate!(target.pid);
    // Reading on, the stream must end with UNAVAILABLE before the snapshot's end.
    const end = await within(
      (async () => {
        try {
          for (let next = await stream.next(); next.done !== true; next = await stream.next())
            if (next.value.cursor !== '') return 'completed the snapshot';
          return 'ended without a status';
        } catch (error: unknown) {
          return statusOf(error);
        }
      })(),
      30_000,
    );
    const outcome = end ?? 'neither ended nor went on within 30 s';
    count(fault.outcomes, outcome);
    if (outcome !== 'UNAVAILABLE')
      fault.problems.push(`the reader whose snapshot connection was terminated: ${outcome}, not UNAVAILABLE`);
  } finally {
    reading.abort();
    connection.close();
  }
}

async function restartPostgres(world: SoakWorld, fault: Fault): Promise<void> {
  fault.allows = UNAVAILABLE_ANYWHERE;
  announce(fault, 'pg_ctl restart -m fast');
  await world.postgres!.restart('fast');
}

async function killConsumer(world: SoakWorld, fault: Fault): Promise<void> {
  announce(fault, `SIGKILL the consumer (run ${world.consumer.current?.index})`);
  await world.consumer.kill();
  await world.startConsumer();
}

async function killReplica(world: SoakWorld, fault: Fault): Promise<void> {
  const [index, replica] = pickEntry(world.replicas, world.random);
  await replica.settled();
  fault.allows = (record) => record.status === 'UNAVAILABLE' && record.via === index;
  announce(fault, `SIGKILL replica ${replica.name} (pid ${replica.pid}), then start it again`);
  await replica.kill();
  await replica.start();
}

const BURST = 40;

/** One insert of a burst is invalid: it alone must fail, with INVALID_ARGUMENT. */
async function nulBurst(world: SoakWorld, fault: Fault): Promise<void> {
  const [via, replica] = pickEntry(world.replicas, world.random);
  const connection = world.connections[via];
  if (connection === undefined) throw new Error(`no connection to replica ${replica.name}`);
  const books = Array.from({length: BURST}, () => world.ledger.newBook('Burst'));
  const [bad, chosen] = pickEntry(books, world.random);
  books[bad] = {...chosen, title: `Bad \u0000 title ${chosen.id}`};
  const ids = new Set(books.map((book) => book.id));
  // Judged here, one by one, rather than as the writer's.
  fault.allows = (record) => ids.has(record.id) && record.kind === 'insert';
  announce(fault, `${BURST} concurrent inserts through replica ${replica.name}, id ${chosen.id} with NUL in its title`);
  const statuses = await Promise.all(books.map((book) => world.ledger.insert(connection.client, book, via)));
  if (statuses[bad] !== 'INVALID_ARGUMENT')
    fault.problems.push(`the insert with NUL in its title got ${statuses[bad]}, not INVALID_ARGUMENT`);
  const failed = new Map<string, number>();
  for (const [index, status] of statuses.entries()) if (index !== bad && status !== 'OK') count(failed, status);
  if (failed.size > 0)
    fault.problems.push(
      `valid inserts of the burst failed: ${[...failed].map(([status, times]) => `${times} ${status}`).join(', ')} (of ${BURST - 1})`,
    );
}

const IDLE_STREAMS = 300;
const IDLE_CONNECTIONS = 4;
const HOLD_MS = 10_000;

/**
 * 300 include_existing streams whose client reads nothing, held for a
 * while: the writes through every replica must go on, and PostgreSQL must
 * still accept a new connection.
 */
async function idleStreams(world: SoakWorld, fault: Fault): Promise<void> {
  const [, replica] = pickEntry(world.replicas, world.random);
  const connections = Array.from({length: IDLE_CONNECTIONS}, () => createBooksClient(replica.address));
  const dropping = new AbortController();
  // One signal drops them all; each call listens to it.
  setMaxListeners(IDLE_STREAMS + 10, dropping.signal);
  announce(
    fault,
    `${IDLE_STREAMS} include_existing streams that do not read, on replica ${replica.name}, held ${HOLD_MS / 1000} s`,
  );
  const streams = Array.from({length: IDLE_STREAMS}, async (_, i) => {
    const {client} = connections[i % IDLE_CONNECTIONS]!;
    const stream = client
      .watchChanges({afterCursor: '', includeExisting: true}, {signal: dropping.signal})
      [Symbol.asyncIterator]();
    try {
      // The first response, and no more: gRPC flow control holds the rest at the server.
      await stream.next();
      return 'a first response, then held';
    } catch (error: unknown) {
      return dropping.signal.aborted ? 'no response before it was dropped' : statusOf(error);
    }
  });
  try {
    await delay(HOLD_MS / 2);
    if (world.truth.execute !== undefined) {
      try {
        await world.truth.execute('SELECT 1');
      } catch (error: unknown) {
        fault.problems.push(
          `PostgreSQL refused a new connection while the streams were held: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    await delay(HOLD_MS / 2);
  } finally {
    dropping.abort();
    for (const outcome of await Promise.all(streams)) count(fault.outcomes, outcome);
    for (const connection of connections) connection.close();
  }
  // A stream gets its snapshot, waits for a slot, or is refused at once for want of one;
  // UNAVAILABLE would be the database running out (or a server ending them early).
  const expected = ['a first response, then held', 'no response before it was dropped', 'RESOURCE_EXHAUSTED'];
  for (const [outcome, times] of fault.outcomes)
    if (!expected.includes(outcome)) fault.problems.push(`${times} of the held streams ended with ${outcome}`);
}

export const INJECT: Record<FaultKind, (world: SoakWorld, fault: Fault) => Promise<void>> = {
  'terminate-pool': terminatePool,
  'terminate-listener': terminateListener,
  'terminate-snapshot': terminateSnapshot,
  'pg-restart': restartPostgres,
  'kill-consumer': killConsumer,
  'kill-replica': killReplica,
  'nul-burst': nulBurst,
  'idle-streams': idleStreams,
};
