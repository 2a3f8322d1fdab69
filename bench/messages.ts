import type {HistogramData} from './histogram.js';
import type {WatchMethod} from './systems.js';

// What the harness and its load processes tell each other over Node's IPC
// channel. Both ends are this harness, so a message is trusted to be one of these.

export type UnaryMethod = 'get' | 'insert' | 'list';

/** Handed to a unary load process as its one argument, in JSON. */
export interface UnaryLoadParams {
  readonly address: string;
  readonly method: UnaryMethod;
  readonly concurrency: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Insert uses ids from here on, so that no two measurements collide. */
  readonly firstId: number;
  /**
   * grpc (the default): HTTP/2, `connections` sessions. connect: the Connect
   * protocol (binary) over HTTP/1.1 keep-alive, a connection per caller, to a web port.
   */
  readonly protocol?: 'grpc' | 'connect';
}

export interface UnaryLoadResult {
  readonly type: 'unary-result';
  /** Calls that succeeded within the measured window. */
  readonly completed: number;
  readonly seconds: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly latency: HistogramData;
  /** CPU the load process itself used in the window, to tell whether it was the bottleneck. */
  readonly cpuSeconds: number;
}

/** Handed to a watch load process as its one argument, in JSON. */
export interface WatchLoadParams {
  readonly address: string;
  readonly watchers: number;
  readonly connections: number;
  readonly method: WatchMethod;
  /**
   * grpc (the default): HTTP/2, `connections` sessions. grpc-web: gRPC-Web
   * over HTTP/1.1 to a web port, a connection per watch (HTTP/1.1 has no streams).
   */
  readonly transport?: 'grpc' | 'grpc-web';
}

export type WatchCommand = {readonly type: 'progress'} | {readonly type: 'finish'};

export type WatchReport =
  | {readonly type: 'ready'; readonly opened: number; readonly failed: number; readonly firstError?: string}
  | {readonly type: 'progress'; readonly delivered: number; readonly ended: number}
  | {
      readonly type: 'watch-result';
      readonly watchers: number;
      readonly delivered: number;
      /** Responses that carried books: one per book for Watch, fewer for WatchChanges when it batches. */
      readonly messages: number;
      /** WatchChanges responses without changes (the first, from now, and any on an idle stream). */
      readonly heartbeats: number;
      /** Fewest books any one watcher received: every watcher must get every book. */
      readonly fewestPerWatcher: number;
      /** Streams that ended (the server closed them or they failed) before the finish. */
      readonly ended: number;
      readonly outOfOrder: number;
      readonly firstError?: string;
      readonly latency: HistogramData;
      /** CPU this load process used from "ready" to the finish. */
      readonly cpuSeconds: number;
    };
