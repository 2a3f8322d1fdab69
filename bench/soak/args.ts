import {parseArgs} from 'node:util';
import {FAULT_KINDS, type FaultKind} from './faults.js';

export type SoakStore = 'postgres' | 'sqlite';

export interface SoakArgs {
  readonly minutes: number;
  readonly store: SoakStore;
  /** Seeds the choice of faults, gaps and writes, so that a run's schedule can be repeated. */
  readonly seed: number;
  /** Inserts and deletes per second, all replicas together. */
  readonly rate: number;
  /** Mean seconds between one fault's recovery and the next fault. */
  readonly faultGapS: number;
  /** The kinds of fault to inject; every kind the store allows by default. */
  readonly only: readonly FaultKind[] | undefined;
}

export const SOAK_USAGE = `Usage: pnpm soak [--minutes 10] [--store postgres|sqlite] [--seed <n>] [--rate 20]
                 [--fault-gap 6] [--only <fault>,<fault>...]

Runs inserts and deletes through the servers for --minutes while faults hit
at random, with the real CLI (books changes --reconnect --cursor-file) as a
consumer; then checks that the consumer printed every change of the log
exactly once, in order, and that every acknowledged write is stored.
Exits 1 on any loss, repeat, unexpected server exit or unexpected status.

  --minutes    how long faults are injected (default 10; decimals allowed)
  --store      postgres (default: a private PostgreSQL server, two replicas
               on one schema) or sqlite (one server on a file)
  --seed       random seed, printed at the start (default: a random one)
  --rate       writes per second, all servers together (default 20)
  --fault-gap  mean seconds between a fault's recovery and the next (default 6)
  --only       inject only these faults: ${FAULT_KINDS.join(', ')}
`;

export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  const {values} = parseArgs({
    args: [...argv],
    options: {
      minutes: {type: 'string', default: '10'},
      store: {type: 'string', default: 'postgres'},
      seed: {type: 'string'},
      rate: {type: 'string', default: '20'},
      'fault-gap': {type: 'string', default: '6'},
      only: {type: 'string'},
      help: {type: 'boolean', short: 'h', default: false},
    },
  });
  if (values.help) {
    process.stdout.write(SOAK_USAGE);
    process.exit(0);
  }
  const store = values.store;
  if (store !== 'postgres' && store !== 'sqlite') throw new Error(`--store: postgres or sqlite, not "${store}"`);
  const only = values.only?.split(',').map((kind) => kind.trim());
  const unknown = only?.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown fault(s) ${unknown.join(', ')}`);
  return {
    minutes: positive('--minutes', values.minutes),
    store,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : seedOf(values.seed),
    rate: positive('--rate', values.rate),
    faultGapS: positive('--fault-gap', values['fault-gap']),
    only: only as FaultKind[] | undefined,
  };
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag}: a positive number, not "${text}"`);
  return value;
}

function seedOf(text: string): number {
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed: a whole number, not "${text}"`);
  return seed;
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
