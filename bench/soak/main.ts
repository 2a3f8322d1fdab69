#!/usr/bin/env node
// pnpm soak: writes and faults for a while, then the check that nothing
// acknowledged was lost and the consumer printed the log exactly once.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {createBooksClient} from '../../src/client/client.js';
import {freePort} from '../../test/helpers/free-port.js';
import {startPrivatePostgres, type PrivatePostgres} from '../../test/helpers/private-postgres.js';
import {WriteLedger} from '../../test/helpers/write-ledger.js';
import {parseSoakArgs, seededRandom, SOAK_USAGE} from './args.js';
import {elapsedText, say} from './clock.js';
import {checkConsumer} from './consumer-check.js';
import {CliConsumer} from './consumer.js';
import {FAULT_KINDS, INJECT, newFault, POSTGRES_FAULTS, type Fault, type FaultKind, type SoakWorld} from './faults.js';
import {recover, RECOVERY_MS, unexplainedFailures} from './recovery.js';
import {Replica} from './replica.js';
import {postgresTruth, sqliteTruth, type Truth} from './truth.js';
import {startWriter} from './writer.js';

const SCHEMA = 'soak';
/**
 * Books in the catalogue before the run: more than flow control lets a
 * server send a client that reads nothing, so that a snapshot stays open.
 */
const EXISTING_BOOKS = 20_000;
/**
 * PostgreSQL's max_connections: two replicas at their default budget of 10
 * fit twice over, and a server that opens connections without bound runs
 * it out.
 */
const MAX_CONNECTIONS = 40;
/** The consumer started again this often by itself gives up: something is wrong for good. */
const MAX_CONSUMER_RESTARTS = 20;

let args: ReturnType<typeof parseSoakArgs>;
try {
  args = parseSoakArgs(process.argv.slice(2));
} catch (error: unknown) {
  process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n\n${SOAK_USAGE}`);
  process.exit(2);
}
const random = seededRandom(args.seed);
const dir = mkdtempSync(join(tmpdir(), 'books-soak-'));
say(
  `soak: ${args.store}, ${args.minutes} min of faults, seed ${args.seed}, ${args.rate} writes/s; files in ${dir}` +
    ` (repeat with: pnpm soak --minutes ${args.minutes} --store ${args.store} --seed ${args.seed})`,
);

// The servers, on the database.
let postgres: PrivatePostgres | undefined;
let truth: Truth;
const replicas: Replica[] = [];
const common = ['--changes-retention', '1000000000'];
if (args.store === 'postgres') {
  postgres = await startPrivatePostgres({maxConnections: MAX_CONNECTIONS});
  truth = postgresTruth(postgres.url, SCHEMA);
  const database = ['--database-url', postgres.url, '--database-schema', SCHEMA, ...common];
  const [a, b] = [
    new Replica('a', await freePort(), database, join(dir, 'replica-a.log')),
    new Replica('b', await freePort(), database, join(dir, 'replica-b.log')),
  ];
  replicas.push(a, b);
  await a.start();
  await truth.execute!(
    `INSERT INTO ${SCHEMA}.books (id, title, author)
       SELECT n, 'Existing ' || n, 'Seeded' FROM generate_series(1000001, ${1_000_000 + EXISTING_BOOKS}) AS n`,
  );
  await b.start();
  say(`PostgreSQL 127.0.0.1:${postgres.port} (max_connections ${MAX_CONNECTIONS}), ${EXISTING_BOOKS} books seeded`);
} else {
  const file = join(dir, 'books.db');
  truth = sqliteTruth(file);
  const a = new Replica(
    'a',
    await freePort(),
    ['--store', 'sqlite', '--db', file, ...common],
    join(dir, 'replica-a.log'),
  );
  replicas.push(a);
  await a.start();
}
say(`replicas: ${replicas.map((replica) => `${replica.name} ${replica.address} (pid ${replica.pid})`).join(', ')}`);
const catalogueId = await truth.catalogueId();
const connections = replicas.map((replica) => createBooksClient(replica.address, {timeoutMs: 10_000}));
const ledger = new WriteLedger(1000);

// The consumer: started on each replica in turn, always on one that is up.
let consumerStarts = 0;
const startConsumer = async (): Promise<void> => {
  const first = consumerStarts % replicas.length;
  const order = [...replicas.slice(first), ...replicas.slice(0, first)];
  consumerStarts++;
  await Promise.all(replicas.map((replica) => replica.settled()));
  const replica = order.find((candidate) => candidate.running) ?? order.at(0);
  if (replica !== undefined) consumer.start(replica.address);
};
const consumer = new CliConsumer(join(dir, 'cursor'), catalogueId, (run) => {
  if (consumer.runs.filter((r) => r.end === 'exited by itself').length > MAX_CONSUMER_RESTARTS) return;
  if (run === consumer.current) void startConsumer();
});
await startConsumer();
const startPosition = await waitFor('the consumer stores its first cursor', async () => consumer.storedPosition());
say(`consumer: books changes --reconnect --cursor-file ${consumer.cursorFile} --json, from position ${startPosition}`);

const world: SoakWorld = {replicas, connections, consumer, truth, postgres, ledger, random, startConsumer};
const writer = startWriter(
  ledger,
  connections.map((connection) => connection.client),
  args.rate,
  random,
);

// Faults, one at a time, each followed by its recovery, until the time is up.
const kinds = (args.only ?? FAULT_KINDS).filter((kind) => postgres !== undefined || !POSTGRES_FAULTS.has(kind));
const faults: Fault[] = [];
const progress = setInterval(() => say(`progress: ${summaryLine()}`), 60_000);
const endAt = Date.now() + args.minutes * 60_000;
let round: FaultKind[] = [];
while (Date.now() < endAt) {
  await delay(Math.min(args.faultGapS * (0.5 + random()) * 1000, Math.max(0, endAt - Date.now())));
  if (Date.now() >= endAt) break;
  // Every kind once per round, in a random order: a short run still meets most of them.
  if (round.length === 0) round = shuffled(kinds);
  const kind = round.pop();
  if (kind === undefined) break;
  const fault = newFault(kind, faults.length + 1);
  faults.push(fault);
  try {
    await INJECT[fault.kind](world, fault);
  } catch (error: unknown) {
    fault.problems.push(`could not be injected: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (fault.skipped !== undefined) {
    say(`fault ${fault.number}: ${fault.kind}: skipped: ${fault.skipped}`);
    continue;
  }
  await recover(world, fault);
  const took = (((fault.recoveredAt ?? Date.now()) - (fault.injectedAt ?? fault.startedAt)) / 1000).toFixed(1);
  const outcomes = [...fault.outcomes].map(([outcome, times]) => `${times} ${outcome}`).join(', ');
  say(
    `fault ${fault.number}: ${fault.problems.length === 0 ? 'over' : 'PROBLEM'} after ${took} s` +
      (outcomes === '' ? '' : `; streams: ${outcomes}`) +
      fault.problems.map((problem) => `\n    ${problem}`).join(''),
  );
}
clearInterval(progress);

// The end: no more writes; the consumer catches up, then the check.
say('faults over: stopping the writer, waiting for the consumer to catch up');
await writer.stop();
const problems: string[] = [];
const last = await waitFor('the log to be readable', async () => truth.lastPosition());
const caughtUp = await waitFor(
  `the consumer to reach position ${last}`,
  async () => (consumer.reached() >= last ? true : undefined),
  RECOVERY_MS * 2,
).catch((error: unknown) => {
  problems.push(`${String(error)}: it is at ${consumer.reached()}`);
  return false;
});
if (caughtUp) say(`consumer caught up at position ${last}`);
await consumer.stop();
const finalRun = consumer.current;
if (finalRun?.exit !== undefined && finalRun.end === 'stopped' && finalRun.exit.code !== 0)
  problems.push(`the consumer exited ${finalRun.exit.code ?? finalRun.exit.signal} on SIGTERM, not 0`);

const log = await truth.changes(0);
const books = await truth.books();
const consumerCheck = checkConsumer(consumer.runs, log, startPosition);
problems.push(...consumerCheck.problems);
problems.push(...ledger.problems(log, books));
if (truth.execute !== undefined)
  await truth
    .execute('SELECT 1')
    .catch((error: unknown) => problems.push(`a new connection to PostgreSQL failed: ${String(error)}`));
for (const run of consumer.runs.filter((r) => r.end === 'exited by itself'))
  problems.push(
    `the consumer exited by itself (run ${run.index}, ${JSON.stringify(run.exit)}): ${run.stderr.trim().split('\n').at(-1)}`,
  );
const exits = replicas.flatMap((replica) => replica.unexpectedExits);
for (const exit of exits)
  problems.push(
    `replica ${exit.replica} exited unexpectedly at +${elapsedText(exit.at)} (code ${exit.code}, signal ${exit.signal}): ${crashLines(exit.stderr)}`,
  );
for (const fault of faults)
  for (const problem of fault.problems) problems.push(`fault ${fault.number} (${fault.kind}): ${problem}`);
const unexplained = unexplainedFailures(
  ledger.records,
  faults,
  exits,
  replicas.map((replica) => replica.name),
);
for (const [what, times] of unexplained) problems.push(`unexpected status: ${times} ${what}`);

for (const connection of connections) connection.close();
for (const replica of replicas) {
  const {code, signal} = await replica.stop();
  if (code !== 0) problems.push(`replica ${replica.name} exited ${code ?? signal} on SIGTERM, not 0`);
}
await postgres?.dispose();

// The report.
const injected = new Map<string, {injected: number; skipped: number}>();
for (const kind of kinds) injected.set(kind, {injected: 0, skipped: 0});
for (const fault of faults) {
  const counts = injected.get(fault.kind)!;
  if (fault.skipped === undefined) counts.injected++;
  else counts.skipped++;
}
process.stdout.write('\nfaults injected:\n');
for (const [kind, {injected: times, skipped}] of injected)
  process.stdout.write(
    `  ${kind.padEnd(20)} ${String(times).padStart(4)}${skipped > 0 ? `  (${skipped} skipped)` : ''}\n`,
  );
process.stdout.write(`totals: ${summaryLine()}\n`);
process.stdout.write(
  `  the consumer printed ${consumerCheck.delivered} changes once each in ${consumer.runs.length} run(s)` +
    ` (${consumerCheck.printedAgain} printed after the stored cursor before a kill, and again after it);` +
    ` the log holds ${log.filter((entry) => entry.position > startPosition).length} changes after its start\n`,
);
if (problems.length > 0) {
  process.stdout.write(`problems (${problems.length}):\n${problems.map((problem) => `  - ${problem}\n`).join('')}`);
  process.stdout.write(`verdict: FAIL (files kept in ${dir})\n`);
  process.exit(1);
}
rmSync(dir, {recursive: true, force: true});
process.stdout.write('verdict: PASS\n');
process.exit(0);

function summaryLine(): string {
  const statuses = new Map<string, number>();
  for (const {status} of ledger.records) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const injectedSoFar = faults.filter((fault) => fault.skipped === undefined).length;
  return (
    `${injectedSoFar} fault(s) injected, ${ledger.records.length} writes (` +
    [...statuses].map(([status, times]) => `${status} ${times}`).join(', ') +
    `), consumer at ${consumer.reached()} in run ${consumer.current?.index ?? 0}` +
    `, ${replicas.reduce((sum, replica) => sum + replica.unexpectedExits.length, 0)} unexpected server exit(s)`
  );
}

/** Asks until an answer comes (a failure to ask counts as none), within `ms`. */
async function waitFor<T>(what: string, ask: () => Promise<T | undefined>, ms = RECOVERY_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const answer = await ask().catch(() => undefined);
    if (answer !== undefined) return answer;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

/** What a crashed server printed about its error: the lines that name it, not its stack. */
function crashLines(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  const named = lines.filter((line) => /error|^code:/i.test(line) && !line.startsWith('at '));
  return (named.length > 0 ? named : lines.slice(-6)).slice(0, 4).join(' | ');
}

function shuffled<T>(items: readonly T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
