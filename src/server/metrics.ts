import {once} from 'node:events';
import {createServer, type Server} from 'node:http';
import type {ServerMiddleware} from 'nice-grpc';
import {prometheusServerMiddleware, registry as grpcRegistry} from 'nice-grpc-prometheus';
import {Counter, exponentialBuckets, Gauge, Histogram, Registry} from 'prom-client';
import type {WatchHub} from '../domain/feed/index.js';

export interface Metrics {
  /** Counts and times every call (grpc_server_* metrics, go-grpc-prometheus names). */
  readonly middleware: ServerMiddleware;
  /**
   * Counts and times a call to the web port (books_web_server_handled_total,
   * books_web_server_handling_seconds), labelled as grpc_server_* are, plus its protocol.
   */
  countWebCall(call: WebCall): void;
  /** Whether the store's database answers (books_store_reachable). */
  setStoreReachable(reachable: boolean): void;
  /** Whether the feed is finding changes only by polling, its wake-ups lost (books_feed_wakeups_missing). */
  setWakeUpsMissing(missing: boolean): void;
  /** Serves GET /metrics over HTTP on host:port (0 picks a free port); returns the port. */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

/** A finished call to the web port, as the metrics label it. */
export interface WebCall {
  readonly service: string;
  readonly method: string;
  /** `unary` or `server_stream`, as grpc_type says. */
  readonly type: string;
  /** `connect` or `grpc-web`. */
  readonly protocol: string;
  /** The status's name, as grpc_code says: OK, NOT_FOUND... */
  readonly code: string;
  readonly seconds: number;
}

/**
 * Prometheus metrics: gRPC calls by method and code with latency histograms,
 * plus what no standard middleware knows: open watchers, and watchers ended
 * because they fell behind. Served on a port of their own, since grpc-js
 * cannot answer plain HTTP on the gRPC port.
 */
export function createMetrics(hub: Pick<WatchHub<unknown>, 'watcherCount' | 'onOverflow'>): Metrics {
  const registry = new Registry();
  new Gauge({
    name: 'books_watchers',
    help: 'Open Watch calls.',
    registers: [registry],
    collect() {
      this.set(hub.watcherCount);
    },
  });
  const dropped = new Counter({
    name: 'books_watch_dropped_total',
    help: 'Watch calls ended with RESOURCE_EXHAUSTED because the client read too slowly.',
    registers: [registry],
  });
  hub.onOverflow(() => dropped.inc());
  const reachable = new Gauge({
    name: 'books_store_reachable',
    help: '1 while the store answers, 0 while its database cannot be reached.',
    registers: [registry],
  });
  reachable.set(1);
  const wakeUpsMissing = new Gauge({
    name: 'books_feed_wakeups_missing',
    help: '1 while watchers get changes only from the periodic read of the log (--feed-poll-ms): wake-ups are lost.',
    registers: [registry],
  });
  wakeUpsMissing.set(0);
  const fallbacks = new Counter({
    name: 'books_feed_fallbacks_total',
    help: 'Times the change feed fell back to its periodic read because wake-ups were lost.',
    registers: [registry],
  });
  // The gRPC port's grpc_server_* come from nice-grpc-prometheus's middleware,
  // whose labels are fixed; the web port's calls are counted beside them.
  const webLabels = ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code', 'protocol'] as const;
  const webHandled = new Counter({
    name: 'books_web_server_handled_total',
    help: 'Calls to the web port (gRPC-Web and Connect) completed, by method, code and protocol.',
    labelNames: webLabels,
    registers: [registry],
  });
  const webHandling = new Histogram({
    name: 'books_web_server_handling_seconds',
    help: 'Time from the start of a web-port call to its end, by method, code and protocol.',
    labelNames: webLabels,
    // nice-grpc-prometheus's buckets for grpc_server_handling_seconds, so that the two compare.
    buckets: exponentialBuckets(0.001, 4, 12),
    registers: [registry],
  });
  const merged = Registry.merge([registry, grpcRegistry]);

  let http: Server | undefined;
  return {
    middleware: prometheusServerMiddleware(),
    countWebCall({service, method, type, protocol, code, seconds}) {
      const labels = {grpc_type: type, grpc_service: service, grpc_method: method, grpc_code: code, protocol};
      webHandled.inc(labels);
      webHandling.observe(labels, seconds);
    },
    setStoreReachable: (up) => reachable.set(up ? 1 : 0),
    setWakeUpsMissing(missing) {
      wakeUpsMissing.set(missing ? 1 : 0);
      if (missing) fallbacks.inc();
    },
    async listen(host, port) {
      http = createServer((request, response) => {
        if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
          response.writeHead(404).end('not found; try GET /metrics\n');
          return;
        }
        merged.metrics().then(
          (text) => response.writeHead(200, {'content-type': merged.contentType}).end(text),
          (error: unknown) => response.writeHead(500).end(`${String(error)}\n`),
        );
      });
      http.listen(port, host);
      await once(http, 'listening');
      return (http.address() as {port: number}).port;
    },
    async close() {
      if (http === undefined) return;
      const closing = once(http, 'close');
      http.close();
      http.closeAllConnections();
      await closing;
    },
  };
}
