import type {ChildProcess} from 'node:child_process';
import {setTimeout as sleep} from 'node:timers/promises';
import {performance} from 'node:perf_hooks';
import {stopChild} from '../children.js';
import {LatencyHistogram} from '../histogram.js';
import {insertAtRate} from '../load/paced-inserter.js';
import {forkWorker, nextReport} from '../load/run-worker.js';
import type {WatchCommand, WatchLoadParams, WatchReport} from '../messages.js';
import {WATCH_WORKER_MAIN} from '../paths.js';
import type {Plan, WatchCase} from '../plan.js';
import {readCpuSeconds, readRssBytes} from '../proc-stats.js';
import type {WatchCaseResult, WatchSystemResult} from '../results.js';
import {spreadOf} from '../stats.js';
import {
  BASELINE,
  FLOOR,
  PRODUCT,
  PRODUCT_CHANGES,
  loadAddress,
  startServer,
  type SystemUnderTest,
  type WatchSystemName,
} from '../systems.js';
import {BOOK_METHODS} from '../wire/book-methods.js';
import {connectClient, unaryCall} from '../wire/grpc-client.js';

type WatchResult = Extract<WatchReport, {type: 'watch-result'}>;

export interface WatchMeasurement {
  readonly expected: number;
  readonly results: WatchResult[];
  readonly memoryPerWatcherBytes: number;
  readonly openSeconds: number;
  readonly insertSeconds: number;
  readonly serverCpuSeconds: number;
  /** Server CPU from the first insert until every book was delivered (or the wait gave up). */
  readonly deliveryCpuSeconds: number;
  readonly insertFailures: string[];
}

export function watchCaseName({watchers, connections, insertsPerSecond}: WatchCase): string {
  return `Watch ${watchers} watchers x${connections}conn, ${insertsPerSecond} inserts/s`;
}

const WATCH_SYSTEMS: readonly SystemUnderTest<WatchSystemName>[] = [PRODUCT, PRODUCT_CHANGES, BASELINE, FLOOR];

/**
 * Fan-out: a fresh server per measurement (so memory per watcher is not
 * blurred by an earlier round), the order of the systems rotating round by
 * round. The product runs twice, its watchers calling Watch and then
 * WatchChanges; the floor shows how much of the time is the platform's own.
 */
export async function runWatchSuite(plan: Plan['watch'], log: (line: string) => void): Promise<WatchCaseResult[]> {
  const results: WatchCaseResult[] = [];
  for (const watchCase of plan.cases) {
    const name = watchCaseName(watchCase);
    const measured: Record<WatchSystemName, WatchMeasurement[]> = {product: [], changes: [], baseline: [], floor: []};
    for (let round = 0; round < plan.rounds; round++) {
      const first = round % WATCH_SYSTEMS.length;
      const order = [...WATCH_SYSTEMS.slice(first), ...WATCH_SYSTEMS.slice(0, first)];
      for (const system of order) {
        const measurement = await measureWatchCase(system, watchCase, plan);
        measured[system.name].push(measurement);
        log(`${name}: ${system.name.padEnd(8)} ${describeWatchMeasurement(measurement)}`);
      }
    }
    const product = summariseWatch(measured.product);
    const changes = summariseWatch(measured.changes);
    const baseline = summariseWatch(measured.baseline);
    const floor = summariseWatch(measured.floor);
    results.push({
      name,
      ...watchCase,
      systems: {product, changes, baseline, floor},
      p99Ratio: product.p99Ms.median / baseline.p99Ms.median,
      changesP99Ratio: changes.p99Ms.median / product.p99Ms.median,
    });
  }
  return results;
}

/** One measurement in a line of the run's log. */
export function describeWatchMeasurement(measurement: WatchMeasurement): string {
  const delivered = measurement.results.reduce((sum, result) => sum + result.delivered, 0);
  const messages = measurement.results.reduce((sum, result) => sum + result.messages, 0);
  const latency = mergedLatency(measurement.results);
  return (
    `delivered ${delivered}/${measurement.expected}, ` +
    `p50 ${latency.quantileMs(0.5).toFixed(1)} ms, p99 ${latency.quantileMs(0.99).toFixed(1)} ms, ` +
    `max ${latency.maxMs.toFixed(1)} ms, ${(measurement.memoryPerWatcherBytes / 1024).toFixed(1)} KiB/watcher, ` +
    `${microsPerDelivery(measurement).toFixed(1)} server µs/delivery, ` +
    `${(messages / Math.max(1, delivered)).toFixed(3)} messages/delivery`
  );
}

export async function measureWatchCase(
  system: SystemUnderTest,
  watchCase: WatchCase,
  drainPolicy: Pick<Plan['watch'], 'drainStallMs' | 'drainCapMs'>,
): Promise<WatchMeasurement> {
  const server = await startServer(system);
  const workers: ChildProcess[] = [];
  const inserter = await connectClient(server.address);
  try {
    // One call first, so that memory before the watchers includes a warm server, not start-up.
    await unaryCall(inserter, BOOK_METHODS.list, {});
    await sleep(200);
    const rssBefore = readRssBytes(server.pid);

    const opening = performance.now();
    for (let index = 0; index < watchCase.processes; index++) {
      const params: WatchLoadParams = {
        address: loadAddress(server),
        ...(system.webPort === 'call' ? {transport: 'grpc-web'} : {}),
        watchers: share(watchCase.watchers, watchCase.processes, index),
        connections: share(watchCase.connections, watchCase.processes, index),
        method: system.watchMethod ?? 'watch',
      };
      workers.push(forkWorker(WATCH_WORKER_MAIN, params));
    }
    const readies = await Promise.all(
      workers.map((worker) => nextReport<WatchReport, 'ready'>(worker, 'ready', 90_000)),
    );
    const openSeconds = (performance.now() - opening) / 1000;
    const refused = readies.find((ready) => ready.failed > 0);
    if (refused !== undefined)
      throw new Error(`${system.name}: ${refused.failed} watchers failed to open: ${refused.firstError}`);
    await sleep(500);
    const rssAfter = readRssBytes(server.pid);

    const rate = watchCase.insertsPerSecond;
    const warmups = Math.round(rate * watchCase.warmupSeconds);
    const count = rate * watchCase.insertSeconds;
    const expected = (warmups + count) * watchCase.watchers;
    const cpuAtFirstInsert = readCpuSeconds(server.pid);
    const warmed = await insertAtRate(inserter, warmups, rate, 1_000, false);
    const cpuBefore = readCpuSeconds(server.pid);
    const inserted = await insertAtRate(inserter, count, rate, 1_000 + warmups, true);
    const serverCpuSeconds = readCpuSeconds(server.pid) - cpuBefore;
    await drain(workers, expected, drainPolicy);
    const deliveryCpuSeconds = readCpuSeconds(server.pid) - cpuAtFirstInsert;

    const results = await Promise.all(
      workers.map((worker) => {
        const result = nextReport<WatchReport, 'watch-result'>(worker, 'watch-result', 30_000);
        command(worker, {type: 'finish'});
        return result;
      }),
    );
    return {
      expected,
      results,
      memoryPerWatcherBytes: (rssAfter - rssBefore) / watchCase.watchers,
      openSeconds,
      insertSeconds: inserted.seconds,
      serverCpuSeconds,
      deliveryCpuSeconds,
      insertFailures: [warmed, inserted]
        .filter((outcome) => outcome.failed > 0)
        .map((outcome) => `${outcome.failed} inserts failed: ${outcome.firstError}`),
    };
  } finally {
    inserter.close();
    await Promise.all(workers.map((worker) => stopChild(worker)));
    await server.stop();
  }
}

/**
 * Waits until every book has reached every watcher, for as long as books
 * keep arriving: a server that is behind gets to catch up (its lateness is
 * in the latencies), but a lost book ends the wait after a stall.
 */
async function drain(
  workers: readonly ChildProcess[],
  expected: number,
  {drainStallMs, drainCapMs}: Pick<Plan['watch'], 'drainStallMs' | 'drainCapMs'>,
): Promise<void> {
  const cap = performance.now() + drainCapMs;
  let lastDelivered = -1;
  let lastProgress = performance.now();
  while (performance.now() < cap && performance.now() - lastProgress < drainStallMs) {
    const progress = await Promise.all(
      workers.map((worker) => {
        const report = nextReport<WatchReport, 'progress'>(worker, 'progress', 10_000);
        command(worker, {type: 'progress'});
        return report;
      }),
    );
    const delivered = progress.reduce((sum, report) => sum + report.delivered, 0);
    const ended = progress.reduce((sum, report) => sum + report.ended, 0);
    if (delivered >= expected || ended > 0) return;
    if (delivered > lastDelivered) {
      lastDelivered = delivered;
      lastProgress = performance.now();
    }
    await sleep(100);
  }
}

function command(worker: ChildProcess, message: WatchCommand): void {
  worker.send(message);
}

export function summariseWatch(measurements: readonly WatchMeasurement[]): WatchSystemResult {
  const latencies = measurements.map((measurement) => mergedLatency(measurement.results));
  const all = measurements.flatMap((measurement) => measurement.results);
  const firstError =
    measurements.flatMap((measurement) => measurement.insertFailures)[0] ??
    all.find((result) => result.firstError !== undefined)?.firstError;
  return {
    expected: measurements.reduce((sum, measurement) => sum + measurement.expected, 0),
    delivered: all.reduce((sum, result) => sum + result.delivered, 0),
    messagesPerDelivery: spreadOf(
      measurements.map((measurement) => {
        const delivered = measurement.results.reduce((sum, result) => sum + result.delivered, 0);
        return measurement.results.reduce((sum, result) => sum + result.messages, 0) / Math.max(1, delivered);
      }),
    ),
    outOfOrder: all.reduce((sum, result) => sum + result.outOfOrder, 0),
    endedEarly: all.reduce((sum, result) => sum + result.ended, 0),
    ...(firstError === undefined ? {} : {firstError}),
    p50Ms: spreadOf(latencies.map((latency) => latency.quantileMs(0.5))),
    p99Ms: spreadOf(latencies.map((latency) => latency.quantileMs(0.99))),
    maxMs: spreadOf(latencies.map((latency) => latency.maxMs)),
    memoryPerWatcherBytes: spreadOf(measurements.map((measurement) => measurement.memoryPerWatcherBytes)),
    openSeconds: spreadOf(measurements.map((measurement) => measurement.openSeconds)),
    serverCpuShare: spreadOf(
      measurements.map((measurement) => measurement.serverCpuSeconds / measurement.insertSeconds),
    ),
    serverMicrosPerDelivery: spreadOf(measurements.map(microsPerDelivery)),
    loadCpuShare: spreadOf(
      measurements.map(
        (measurement) =>
          measurement.results.reduce((sum, result) => sum + result.cpuSeconds, 0) / measurement.insertSeconds,
      ),
    ),
  };
}

/** Server CPU over the books actually delivered: a run that lost books does not look cheaper for it. */
function microsPerDelivery(measurement: WatchMeasurement): number {
  const delivered = measurement.results.reduce((sum, result) => sum + result.delivered, 0);
  return (measurement.deliveryCpuSeconds * 1e6) / Math.max(1, delivered);
}

function mergedLatency(results: readonly WatchResult[]): LatencyHistogram {
  const latency = new LatencyHistogram();
  for (const result of results) latency.merge(result.latency);
  return latency;
}

/** The `index`th of `parts` near-equal shares of `total`. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
