import type {UnaryMethod} from './messages.js';

export interface UnaryCase {
  readonly method: UnaryMethod;
  readonly concurrency: number;
  readonly connections: number;
}

export interface WatchCase {
  readonly watchers: number;
  readonly connections: number;
  /** Load processes the watchers are spread over (connections divide evenly among them). */
  readonly processes: number;
  readonly insertsPerSecond: number;
  /** Inserts at the same rate before the measured ones: delivered and counted, but not timed. */
  readonly warmupSeconds: number;
  readonly insertSeconds: number;
}

/** What one run measures, and for how long. */
export interface Plan {
  readonly mode: 'full' | 'quick';
  readonly unary: {
    readonly cases: readonly UnaryCase[];
    /** Measurements of each system per case, the order of the systems rotating each round. */
    readonly rounds: number;
    readonly warmupMs: number;
    readonly durationMs: number;
  };
  readonly watch: {
    readonly cases: readonly WatchCase[];
    readonly rounds: number;
    /**
     * After the last insert, deliveries still in flight are awaited for as
     * long as they keep arriving (a stall this long ends the wait), up to a cap.
     */
    readonly drainStallMs: number;
    readonly drainCapMs: number;
  };
  /** The web port against the gRPC port of the same server: Connect Get, and a gRPC-Web WatchChanges fan-out. */
  readonly web: {
    readonly unary: Plan['unary'];
    readonly watch: Plan['watch'];
  };
  readonly startup: {
    /** Server starts per system; also CLI `list` runs. */
    readonly rounds: number;
  };
}

const METHODS: readonly UnaryMethod[] = ['get', 'insert', 'list'];

function everyUnaryCase(): UnaryCase[] {
  return METHODS.flatMap((method) =>
    [1, 16, 64].flatMap((concurrency) => [1, 4].map((connections) => ({method, concurrency, connections}))),
  );
}

export const FULL_PLAN: Plan = {
  mode: 'full',
  unary: {cases: everyUnaryCase(), rounds: 4, warmupMs: 500, durationMs: 2000},
  watch: {
    cases: [
      {watchers: 1000, connections: 1, processes: 1, insertsPerSecond: 100, warmupSeconds: 1, insertSeconds: 5},
      {watchers: 10_000, connections: 8, processes: 4, insertsPerSecond: 20, warmupSeconds: 1, insertSeconds: 5},
    ],
    rounds: 3,
    drainStallMs: 5000,
    drainCapMs: 60_000,
  },
  web: {
    unary: {
      cases: [1, 16, 64].map((concurrency) => ({method: 'get', concurrency, connections: 1})),
      rounds: 4,
      warmupMs: 500,
      durationMs: 2000,
    },
    watch: {
      // HTTP/1.1 carries one call per connection: 1,000 gRPC-Web watches are 1,000 connections.
      cases: [
        {watchers: 1000, connections: 1, processes: 1, insertsPerSecond: 100, warmupSeconds: 1, insertSeconds: 5},
      ],
      rounds: 3,
      drainStallMs: 5000,
      drainCapMs: 60_000,
    },
  },
  startup: {rounds: 10},
};

/** For CI: every kind of measurement once, briefly; the point is that it runs and delivers everything. */
export const QUICK_PLAN: Plan = {
  mode: 'quick',
  unary: {
    cases: METHODS.map((method) => ({method, concurrency: 16, connections: 1})),
    rounds: 1,
    warmupMs: 200,
    durationMs: 1000,
  },
  watch: {
    cases: [
      {watchers: 1000, connections: 1, processes: 1, insertsPerSecond: 100, warmupSeconds: 0.5, insertSeconds: 2},
    ],
    rounds: 1,
    drainStallMs: 3000,
    drainCapMs: 15_000,
  },
  web: {
    unary: {cases: [{method: 'get', concurrency: 16, connections: 1}], rounds: 1, warmupMs: 200, durationMs: 1000},
    // 1,000 watchers but few books: a gRPC-Web delivery costs the server several times a gRPC one.
    watch: {
      cases: [
        {watchers: 1000, connections: 1, processes: 1, insertsPerSecond: 20, warmupSeconds: 0.5, insertSeconds: 1},
      ],
      rounds: 1,
      drainStallMs: 3000,
      drainCapMs: 15_000,
    },
  },
  startup: {rounds: 2},
};
