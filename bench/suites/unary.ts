import {forkWorker, nextReport} from '../load/run-worker.js';
import {LIST_SIZE, benchBook} from '../bench-books.js';
import {LatencyHistogram} from '../histogram.js';
import type {UnaryLoadParams, UnaryLoadResult} from '../messages.js';
import {UNARY_WORKER_MAIN} from '../paths.js';
import type {Plan, UnaryCase} from '../plan.js';
import {readCpuSeconds} from '../proc-stats.js';
import type {UnaryCaseResult, UnarySystemResult} from '../results.js';
import {
  BASELINE,
  PLAIN,
  PRODUCT,
  PRODUCT_SQLITE,
  loadAddress,
  startServer,
  type RunningServer,
  type SystemUnderTest,
} from '../systems.js';
import {spreadOf} from '../stats.js';
import {BOOK_METHODS} from '../wire/book-methods.js';
import {connectClient, unaryCall} from '../wire/grpc-client.js';

interface UnaryMeasurement {
  readonly load: UnaryLoadResult;
  readonly serverCpuSeconds: number;
}

export function unaryCaseName({method, concurrency, connections}: UnaryCase): string {
  const title = method.charAt(0).toUpperCase() + method.slice(1);
  return `${title} c${concurrency} x${connections}conn`;
}

/** Each case against the product with the memory store and with SQLite, the baseline and plain nice-grpc. */
export async function runUnarySuite(plan: Plan['unary'], log: (line: string) => void): Promise<UnaryCaseResult[]> {
  const results: UnaryCaseResult[] = [];
  const ids = {next: 1_000_000};
  for (const unaryCase of plan.cases) {
    const name = unaryCaseName(unaryCase);
    const {product, sqlite, baseline, plain} = await measureInTurns(
      [PRODUCT, PRODUCT_SQLITE, BASELINE, PLAIN],
      unaryCase,
      plan,
      ids,
    );
    const ratio = product.requestsPerSecond.median / baseline.requestsPerSecond.median;
    const plainRatio = product.requestsPerSecond.median / plain.requestsPerSecond.median;
    const sqliteRatio = sqlite.requestsPerSecond.median / product.requestsPerSecond.median;
    results.push({name, ...unaryCase, systems: {product, sqlite, baseline, plain}, ratio, plainRatio, sqliteRatio});
    log(
      `${name.padEnd(22)} product ${fixed(product.requestsPerSecond.median)} req/s, ` +
        `SQLite ${fixed(sqlite.requestsPerSecond.median)} req/s, baseline ${fixed(baseline.requestsPerSecond.median)} req/s, ` +
        `plain nice-grpc ${fixed(plain.requestsPerSecond.median)} req/s, ` +
        `ratio ${ratio.toFixed(2)} (${plainRatio.toFixed(2)} of plain nice-grpc)`,
    );
  }
  return results;
}

/**
 * One case against a fresh server of each system, all up for the whole
 * case, measured in rotating order (ABC, BCA, CAB, ...) so that a noisy
 * moment of the machine falls on each alike. Inserts take ids from `ids`.
 */
export async function measureInTurns<Name extends string>(
  systems: readonly SystemUnderTest<Name>[],
  unaryCase: UnaryCase,
  {rounds, warmupMs, durationMs}: Pick<Plan['unary'], 'rounds' | 'warmupMs' | 'durationMs'>,
  ids: {next: number},
): Promise<Record<Name, UnarySystemResult>> {
  const servers: RunningServer<Name>[] = [];
  try {
    for (const system of systems) servers.push(await startServer(system));
    if (unaryCase.method === 'list') await Promise.all(servers.map(fillForList));
    const measured = new Map<Name, UnaryMeasurement[]>(systems.map((system) => [system.name, []]));
    for (let round = 0; round < rounds; round++) {
      const first = round % servers.length;
      for (const server of [...servers.slice(first), ...servers.slice(0, first)]) {
        const params: UnaryLoadParams = {
          address: loadAddress(server),
          ...(server.system.webPort === 'call' ? {protocol: 'connect'} : {}),
          ...unaryCase,
          warmupMs,
          durationMs,
          firstId: ids.next,
        };
        ids.next += 1_000_000;
        measured.get(server.system.name)!.push(await measureUnaryCase(server, params));
      }
    }
    return Object.fromEntries([...measured].map(([name, runs]) => [name, summariseUnary(runs)])) as Record<
      Name,
      UnarySystemResult
    >;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

async function measureUnaryCase(server: RunningServer<string>, params: UnaryLoadParams): Promise<UnaryMeasurement> {
  const worker = forkWorker(UNARY_WORKER_MAIN, params);
  // The server's CPU over the measured window only: sampled when warm-up ends.
  let cpuAtStart = Number.NaN;
  const timer = setTimeout(() => (cpuAtStart = readCpuSeconds(server.pid)), params.warmupMs);
  try {
    const load = await nextReport<UnaryLoadResult, 'unary-result'>(
      worker,
      'unary-result',
      params.warmupMs + params.durationMs + 30_000,
    );
    return {load, serverCpuSeconds: readCpuSeconds(server.pid) - cpuAtStart};
  } finally {
    clearTimeout(timer);
  }
}

function summariseUnary(measurements: readonly UnaryMeasurement[]): UnarySystemResult {
  const loads = measurements.map((measurement) => measurement.load);
  const latencies = loads.map((load) => LatencyHistogram.from(load.latency));
  const errors = loads.reduce((sum, load) => sum + load.errors, 0);
  const firstError = loads.find((load) => load.firstError !== undefined)?.firstError;
  return {
    requestsPerSecond: spreadOf(loads.map((load) => load.completed / load.seconds)),
    p50Ms: spreadOf(latencies.map((latency) => latency.quantileMs(0.5))),
    p99Ms: spreadOf(latencies.map((latency) => latency.quantileMs(0.99))),
    maxMs: spreadOf(latencies.map((latency) => latency.maxMs)),
    serverCpuMicrosPerCall: spreadOf(
      measurements.map(({load, serverCpuSeconds}) => (serverCpuSeconds * 1e6) / Math.max(1, load.completed)),
    ),
    loadCpuShare: spreadOf(loads.map((load) => load.cpuSeconds / load.seconds)),
    errors,
    ...(firstError === undefined ? {} : {firstError}),
  };
}

/** Inserts books until List returns LIST_SIZE of them (both servers start with one). */
async function fillForList(server: RunningServer<string>): Promise<void> {
  const client = await connectClient(server.address);
  try {
    const {books} = await unaryCall(client, BOOK_METHODS.list, {});
    for (let id = 1; books.length + id - 1 < LIST_SIZE; id++) {
      await unaryCall(client, BOOK_METHODS.insert, benchBook(id));
    }
    const filled = await unaryCall(client, BOOK_METHODS.list, {});
    if (filled.books.length !== LIST_SIZE) {
      throw new Error(`${server.system.name} lists ${filled.books.length} books, expected ${LIST_SIZE}`);
    }
  } finally {
    client.close();
  }
}

function fixed(value: number): string {
  return Math.round(value).toString().padStart(6);
}
