import type {BenchResults, TargetResult, WatchSystemResult} from '../results.js';

type Measured = Pick<BenchResults, 'unary' | 'watch' | 'web' | 'startup'>;

const UNARY_RATIO = 0.9;
const FANOUT_WATCHERS = 10_000;
const FANOUT_P99_MS = 100;
const FANOUT_BYTES_PER_WATCHER = 20 * 1024;
const CHANGES_P99_MS = 250;
const START_MS = 250;
const CLI_LIST_MS = 300;

/** The targets against what was measured; a target whose case did not run is left out. */
export function evaluateTargets({unary, watch, startup}: Measured): TargetResult[] {
  const targets: TargetResult[] = [];
  if (unary.length > 0) {
    // The geometric mean is the average that treats 0.8x and 1.25x as equal and opposite.
    const mean = Math.exp(unary.reduce((sum, result) => sum + Math.log(result.ratio), 0) / unary.length);
    const below = unary.filter((result) => result.ratio < UNARY_RATIO);
    const worst = unary.reduce((low, result) => (result.ratio < low.ratio ? result : low));
    const plainMean = Math.exp(unary.reduce((sum, result) => sum + Math.log(result.plainRatio), 0) / unary.length);
    targets.push({
      target: `unary throughput >= ${UNARY_RATIO}x baseline (geometric mean of ${unary.length} cases)`,
      measured:
        `${mean.toFixed(2)}x; lowest ${worst.ratio.toFixed(2)}x (${worst.name}); ${below.length} of ${unary.length} cases below ${UNARY_RATIO}x; ` +
        `${plainMean.toFixed(2)}x the plain nice-grpc server`,
      met: mean >= UNARY_RATIO,
    });
  }
  const fanout = watch.find((result) => result.watchers === FANOUT_WATCHERS);
  if (fanout !== undefined) {
    const product = fanout.systems.product;
    targets.push({
      target: `${FANOUT_WATCHERS} watchers at ${fanout.insertsPerSecond} inserts/s: every book delivered`,
      measured: `${product.delivered} of ${product.expected} (${percent(product.delivered / product.expected)})`,
      met: everyBookDelivered(product),
    });
    targets.push({
      target: `${FANOUT_WATCHERS} watchers: p99 delivery < ${FANOUT_P99_MS} ms`,
      measured: `${product.p99Ms.median.toFixed(1)} ms (median of rounds); baseline ${fanout.systems.baseline.p99Ms.median.toFixed(1)} ms, node:http2 floor ${fanout.systems.floor.p99Ms.median.toFixed(1)} ms`,
      // A latency of books that never arrived is no latency: a p99 counts only when every book came.
      met: product.p99Ms.median < FANOUT_P99_MS && everyBookDelivered(product),
    });
    targets.push({
      target: `${FANOUT_WATCHERS} watchers: server memory < ${FANOUT_BYTES_PER_WATCHER / 1024} KiB per watcher`,
      measured: `${(product.memoryPerWatcherBytes.median / 1024).toFixed(1)} KiB (RSS delta)`,
      met: product.memoryPerWatcherBytes.median < FANOUT_BYTES_PER_WATCHER,
    });
    const changes = fanout.systems.changes;
    targets.push({
      target: `${FANOUT_WATCHERS} watchers on WatchChanges at ${fanout.insertsPerSecond} inserts/s: every change delivered once, in order`,
      measured: `${changes.delivered} of ${changes.expected} (${percent(changes.delivered / changes.expected)}), ${changes.outOfOrder} out of order`,
      met: everyBookDelivered(changes),
    });
    targets.push({
      target: `${FANOUT_WATCHERS} watchers on WatchChanges: p99 delivery < ${CHANGES_P99_MS} ms`,
      measured:
        `${changes.p99Ms.median.toFixed(1)} ms (median of ${changes.p99Ms.rounds.length} rounds; ${changes.p99Ms.rounds.map((p99) => p99.toFixed(0)).join(', ')}); ` +
        `Watch ${product.p99Ms.median.toFixed(1)} ms, node:http2 floor ${fanout.systems.floor.p99Ms.median.toFixed(1)} ms; ` +
        `${changes.messagesPerDelivery.median.toFixed(3)} messages per change`,
      met: changes.p99Ms.median < CHANGES_P99_MS && everyBookDelivered(changes),
    });
  }
  if (startup.serverStartMs.product.rounds.length > 0) {
    targets.push({
      target: `server start-up to listening < ${START_MS} ms`,
      measured: `${startup.serverStartMs.product.median.toFixed(0)} ms (median)`,
      met: startup.serverStartMs.product.median < START_MS,
    });
    targets.push({
      target: `CLI list round trip < ${CLI_LIST_MS} ms`,
      measured: `${startup.cliListMs.median.toFixed(0)} ms (median)`,
      met: startup.cliListMs.median < CLI_LIST_MS,
    });
  }
  return targets;
}

/** Correctness, not speed: any of these fails the run, in either mode. */
export function findFailures({unary, watch, web, startup}: Measured): string[] {
  const failures: string[] = [];
  for (const result of [...unary, ...web.unary]) {
    for (const [system, outcome] of Object.entries(result.systems)) {
      if (outcome.errors > 0)
        failures.push(`${result.name}, ${system}: ${outcome.errors} calls failed: ${outcome.firstError}`);
    }
  }
  for (const result of [...watch, ...web.watch]) {
    for (const [system, outcome] of Object.entries(result.systems)) {
      const why = [
        outcome.delivered !== outcome.expected && `delivered ${outcome.delivered} of ${outcome.expected} books`,
        outcome.outOfOrder > 0 && `${outcome.outOfOrder} books out of order`,
        outcome.endedEarly > 0 && `${outcome.endedEarly} watches ended early`,
        outcome.firstError !== undefined && `first error: ${outcome.firstError}`,
      ].filter((reason) => reason !== false);
      if (why.length > 0) failures.push(`${result.name}, ${system}: ${why.join('; ')}`);
    }
  }
  if (startup.cliFailures > 0) failures.push(`CLI list failed ${startup.cliFailures} times`);
  return failures;
}

function everyBookDelivered(outcome: WatchSystemResult): boolean {
  return outcome.delivered === outcome.expected && outcome.outOfOrder === 0 && outcome.endedEarly === 0;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share === 1 ? 0 : 3)} %`;
}
