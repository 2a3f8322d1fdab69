import type {Plan} from '../plan.js';
import type {WebResults, WebUnaryCaseResult, WebWatchCaseResult} from '../results.js';
import {PRODUCT_GRPC, PRODUCT_WEB, type SystemUnderTest, type WebSystemName} from '../systems.js';
import {
  describeWatchMeasurement,
  measureWatchCase,
  summariseWatch,
  watchCaseName,
  type WatchMeasurement,
} from './watch.js';
import {measureInTurns, unaryCaseName} from './unary.js';

const WEB_SYSTEMS: readonly SystemUnderTest<WebSystemName>[] = [PRODUCT_GRPC, PRODUCT_WEB];

/**
 * The web port against the gRPC port: the same server (the product, memory
 * store, its web port on) called on either, the two taking turns. Unary:
 * Get in the Connect protocol (binary, HTTP/1.1 keep-alive, a connection
 * per caller) against gRPC Get (HTTP/2, one connection). Fan-out:
 * WatchChanges from now in gRPC-Web (a connection per watch) against gRPC.
 */
export async function runWebSuite(plan: Plan['web'], log: (line: string) => void): Promise<WebResults> {
  const unary: WebUnaryCaseResult[] = [];
  const ids = {next: 500_000_000};
  for (const unaryCase of plan.unary.cases) {
    // Not xNconn: gRPC has one connection, Connect one per caller.
    const name = `web ${unaryCaseName(unaryCase)}`.replace(/ x\d+conn/, '');
    const {grpc, web} = await measureInTurns(WEB_SYSTEMS, unaryCase, plan.unary, ids);
    const ratio = web.requestsPerSecond.median / grpc.requestsPerSecond.median;
    const cpuRatio = web.serverCpuMicrosPerCall.median / grpc.serverCpuMicrosPerCall.median;
    unary.push({name, ...unaryCase, systems: {grpc, web}, ratio, cpuRatio});
    log(
      `${name.padEnd(26)} Connect ${Math.round(web.requestsPerSecond.median)} req/s ` +
        `(${web.serverCpuMicrosPerCall.median.toFixed(1)} server µs/call), ` +
        `gRPC ${Math.round(grpc.requestsPerSecond.median)} req/s (${grpc.serverCpuMicrosPerCall.median.toFixed(1)} µs/call), ` +
        `ratio ${ratio.toFixed(2)}, server CPU per call ${cpuRatio.toFixed(2)}x`,
    );
  }

  const watch: WebWatchCaseResult[] = [];
  for (const watchCase of plan.watch.cases) {
    const name = `web ${watchCaseName(watchCase)}`.replace(/ x\d+conn/, '');
    const measured: Record<WebSystemName, WatchMeasurement[]> = {grpc: [], web: []};
    for (let round = 0; round < plan.watch.rounds; round++) {
      const order = round % 2 === 0 ? WEB_SYSTEMS : [...WEB_SYSTEMS].reverse();
      for (const system of order) {
        const measurement = await measureWatchCase(system, watchCase, plan.watch);
        measured[system.name].push(measurement);
        log(`${name}: ${system.name === 'web' ? 'gRPC-Web' : 'gRPC    '} ${describeWatchMeasurement(measurement)}`);
      }
    }
    const grpc = summariseWatch(measured.grpc);
    const web = summariseWatch(measured.web);
    const cpuRatio = web.serverMicrosPerDelivery.median / grpc.serverMicrosPerDelivery.median;
    const p99Ratio = web.p99Ms.median / grpc.p99Ms.median;
    watch.push({name, ...watchCase, systems: {grpc, web}, cpuRatio, p99Ratio});
    log(`${name}: gRPC-Web over gRPC: server CPU per delivery ${cpuRatio.toFixed(2)}x, p99 ${p99Ratio.toFixed(2)}x`);
  }
  return {unary, watch};
}
