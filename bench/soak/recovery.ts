import {setTimeout as delay} from 'node:timers/promises';
import type {WriteRecord} from '../../test/helpers/write-ledger.js';
import type {Fault, SoakWorld} from './faults.js';
import type {UnexpectedExit} from './replica.js';

const SERVING = 1;
/** How long a fault may take to be over; past it, the fault's report says what did not come back. */
export const RECOVERY_MS = 60_000;
/** A write that started before the recovery may end a moment after it. */
const GRACE_MS = 1000;

/**
 * Waits until the fault is over, as a client sees it: every replica
 * listening and SERVING, an insert through each acknowledged, and the
 * consumer caught up with the log as it stood then (so a feed that stalled
 * shows here, not only at the end). What did not come back within
 * RECOVERY_MS is a problem of the fault.
 */
export async function recover(world: SoakWorld, fault: Fault): Promise<void> {
  const deadline = Date.now() + RECOVERY_MS;
  const left = (): number => deadline - Date.now();
  const steps: [string, () => Promise<boolean>][] = [
    [
      'every replica listening',
      async () => {
        await Promise.all(world.replicas.map((replica) => replica.settled()));
        return world.replicas.every((replica) => replica.running);
      },
    ],
    ...world.connections.map((connection, via): [string, () => Promise<boolean>] => [
      `replica ${world.replicas[via]?.name} SERVING`,
      async () => (await connection.health.check({service: ''}).catch(() => undefined))?.status === SERVING,
    ]),
    ...world.connections.map((connection, via): [string, () => Promise<boolean>] => [
      `an insert through replica ${world.replicas[via]?.name} acknowledged`,
      async () => (await world.ledger.insert(connection.client, world.ledger.newBook('Probe'), via)) === 'OK',
    ]),
  ];
  for (const [what, done] of steps) {
    if (!(await until(done, left))) {
      fault.problems.push(`not recovered within ${RECOVERY_MS / 1000} s: ${what}`);
      fault.recoveredAt = Date.now();
      return;
    }
  }
  let target: number | undefined;
  const caughtUp = await until(async () => {
    target ??= await world.truth.lastPosition();
    if (!world.consumer.running) return false;
    return world.consumer.reached() >= target;
  }, left);
  if (!caughtUp)
    fault.problems.push(
      `the consumer did not catch up within ${RECOVERY_MS / 1000} s: at ${world.consumer.reached()}, the log at ${target}`,
    );
  fault.recoveredAt = Date.now();
}

/** Asks `done` until it says yes or time runs out; a failure to ask counts as no. */
async function until(done: () => Promise<boolean>, left: () => number): Promise<boolean> {
  for (;;) {
    if (await done().catch(() => false)) return true;
    if (left() <= 0) return false;
    await delay(Math.min(100, left()));
  }
}

/**
 * The writes that failed with no fault to explain them: none is expected
 * outside a fault's window, and inside it only what that fault allows. A
 * replica's unexpected exit (a problem of its own) explains UNAVAILABLE
 * through it from a moment before (its connections drop as it dies) until
 * it is back.
 */
export function unexplainedFailures(
  records: readonly WriteRecord[],
  faults: readonly Fault[],
  exits: readonly UnexpectedExit[],
  replicaNames: readonly string[],
): Map<string, number> {
  const unexplained = new Map<string, number>();
  const overlaps = (record: WriteRecord, from: number, to: number | undefined): boolean =>
    record.endedAt >= from && record.startedAt <= (to ?? Number.POSITIVE_INFINITY) + GRACE_MS;
  for (const record of records) {
    if (record.status === 'OK') continue;
    const byFault = faults.find(
      (fault) => overlaps(record, fault.startedAt, fault.recoveredAt) && fault.allows(record),
    );
    const byExit = exits.some(
      (exit) =>
        exit.replica === replicaNames[record.via] &&
        record.status === 'UNAVAILABLE' &&
        overlaps(record, exit.at - GRACE_MS, exit.restartedAt),
    );
    if (byFault !== undefined || byExit) continue;
    const during = faults.find((fault) => overlaps(record, fault.startedAt, fault.recoveredAt));
    const key = `${record.kind} ${record.status} through replica ${replicaNames[record.via]}${during === undefined ? ', with no fault under way' : `, during fault ${during.number} (${during.kind})`}`;
    unexplained.set(key, (unexplained.get(key) ?? 0) + 1);
  }
  return unexplained;
}
