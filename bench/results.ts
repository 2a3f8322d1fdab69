import type {AnySystemName, SystemName, UnarySystemName, WatchSystemName, WebSystemName} from './systems.js';
import type {Spread} from './stats.js';
import type {UnaryCase, WatchCase} from './plan.js';

// The shape of bench/results/*.json: everything the report is drawn from.

export interface UnarySystemResult {
  readonly requestsPerSecond: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly maxMs: Spread;
  /** Server CPU time per call: less noisy than throughput on a shared machine. */
  readonly serverCpuMicrosPerCall: Spread;
  /** Share of one core the load process used: near 1 means the client, not the server, was the limit. */
  readonly loadCpuShare: Spread;
  readonly errors: number;
  readonly firstError?: string;
}

export interface UnaryCaseResult extends UnaryCase {
  readonly name: string;
  readonly systems: Record<UnarySystemName, UnarySystemResult>;
  /** Product's median requests/s over the baseline's. */
  readonly ratio: number;
  /** Product (SQLite)'s median requests/s over the product's with the memory store: what durability costs. */
  readonly sqliteRatio: number;
  /** Product's median requests/s over the plain nice-grpc server's: the product's own overhead, or gain. */
  readonly plainRatio: number;
}

export interface WatchSystemResult {
  readonly expected: number;
  readonly delivered: number;
  /**
   * Stream messages that carried books, over the books delivered: 1 for
   * Watch; below 1 when WatchChanges batched what a watcher fell behind on.
   */
  readonly messagesPerDelivery: Spread;
  readonly outOfOrder: number;
  readonly endedEarly: number;
  readonly firstError?: string;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly maxMs: Spread;
  readonly memoryPerWatcherBytes: Spread;
  readonly openSeconds: Spread;
  /** Share of one core the server used while inserts were sent. */
  readonly serverCpuShare: Spread;
  /**
   * Server CPU per book delivered to one watcher, from the first insert to
   * the last delivery: what a delivery costs, whether or not the server kept up.
   */
  readonly serverMicrosPerDelivery: Spread;
  /** Cores the watch load processes used together, from ready to finish, per second of inserts. */
  readonly loadCpuShare: Spread;
}

export interface WatchCaseResult extends WatchCase {
  readonly name: string;
  readonly systems: Record<WatchSystemName, WatchSystemResult>;
  /** Product's median p99 delivery latency over the baseline's (lower is better). */
  readonly p99Ratio: number;
  /** The product's WatchChanges median p99 over its Watch's (lower is better): what the change feed's batching bought. */
  readonly changesP99Ratio: number;
}

/** The web port against the gRPC port of one server: a unary case (Connect against gRPC). */
export interface WebUnaryCaseResult extends UnaryCase {
  readonly name: string;
  readonly systems: Record<WebSystemName, UnarySystemResult>;
  /** Web's median requests/s over gRPC's. */
  readonly ratio: number;
  /** Web's median server CPU per call over gRPC's (lower is better). */
  readonly cpuRatio: number;
}

/** A fan-out of WatchChanges, gRPC-Web against gRPC. */
export interface WebWatchCaseResult extends WatchCase {
  readonly name: string;
  readonly systems: Record<WebSystemName, WatchSystemResult>;
  /** Web's median server CPU per delivery over gRPC's (lower is better). */
  readonly cpuRatio: number;
  /** Web's median p99 delivery latency over gRPC's (lower is better). */
  readonly p99Ratio: number;
}

export interface WebResults {
  readonly unary: WebUnaryCaseResult[];
  readonly watch: WebWatchCaseResult[];
}

export interface StartupResult {
  readonly serverStartMs: Record<SystemName, Spread>;
  readonly cliListMs: Spread;
  readonly cliFailures: number;
}

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly date: string;
  readonly commit: string;
  readonly machine: {
    readonly node: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly platform: string;
  };
  readonly systems: Record<AnySystemName, string>;
  readonly unary: UnaryCaseResult[];
  readonly watch: WatchCaseResult[];
  readonly web: WebResults;
  readonly startup: StartupResult;
  readonly targets: TargetResult[];
  /** Correctness failures (errors, books not delivered): any makes the run fail. */
  readonly failures: string[];
}
