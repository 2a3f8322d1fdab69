import type {BenchResults} from '../results.js';
import type {Spread} from '../stats.js';
import {relativeSpread} from '../stats.js';

const WATCH_SYSTEMS = ['product', 'changes', 'baseline', 'floor'] as const;
const WATCH_LABELS: Record<(typeof WATCH_SYSTEMS)[number], string> = {
  product: 'product Watch',
  changes: 'product WatchChanges',
  baseline: 'baseline Watch',
  floor: 'floor Watch',
};

/** The human-readable report: tables of medians with their spread, ratios, and the targets. */
export function renderMarkdown(results: BenchResults, chartFile: string): string {
  const {machine} = results;
  const lines: string[] = [
    `# books benchmark (${results.mode} mode)`,
    '',
    `${results.date}, commit \`${results.commit}\`, Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.platform}.`,
    '',
    `- **product**: ${results.systems.product}`,
    `- **product WatchChanges**: ${results.systems.changes}`,
    `- **baseline**: ${results.systems.baseline}`,
    `- **product (SQLite)**: ${results.systems.sqlite}`,
    `- **plain nice-grpc**: ${results.systems.plain}`,
    `- **floor**: ${results.systems.floor}`,
    '',
    'Servers and load run as separate processes on 127.0.0.1, the systems taking turns within each case ' +
      '(ABC, BCA, CAB, ...). Numbers are medians over the rounds; `±` is half the range between the fastest and ' +
      'slowest round, relative to the median. Ratios are product over baseline.',
    '',
    `![throughput and latency per case](${chartFile})`,
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...results.targets.map(
      (target) => `| ${target.target} | ${target.measured} | ${target.met ? 'met' : '**missed**'} |`,
    ),
    '',
  ];
  if (results.failures.length > 0) {
    lines.push('## Failures', '', ...results.failures.map((failure) => `- ${failure}`), '');
  }
  if (results.unary.length > 0) {
    lines.push(
      '## Unary',
      '',
      'Closed-loop callers (`c`) over HTTP/2 connections (`conn`). Server CPU per call is read from',
      '/proc and is steadier than throughput on a shared machine; load CPU near 1.0 means the load',
      'process, not the server, set the pace. The plain nice-grpc server pays what nice-grpc costs',
      "and nothing of the product's own: product over plain is the product's overhead (below 1) or gain.",
      'Product (SQLite) acknowledges each write once it is committed to disk (synchronous=FULL).',
      '',
      '| case | product req/s | baseline req/s | plain nice-grpc req/s | product (SQLite) req/s | ratio | product / plain | product p50 / p99 / max ms | product (SQLite) p50 / p99 / max ms | baseline p50 / p99 / max ms | server CPU µs/call product / baseline / plain | load CPU product / baseline |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...results.unary
        .map(({name, ratio, plainRatio, systems: {product, sqlite, baseline, plain}}) =>
          [
            name,
            withSpread(product.requestsPerSecond, 0),
            withSpread(baseline.requestsPerSecond, 0),
            withSpread(plain.requestsPerSecond, 0),
            withSpread(sqlite.requestsPerSecond, 0),
            `**${ratio.toFixed(2)}**`,
            plainRatio.toFixed(2),
            latencies(product),
            latencies(sqlite),
            latencies(baseline),
            [product, baseline, plain].map((system) => system.serverCpuMicrosPerCall.median.toFixed(0)).join(' / '),
            `${product.loadCpuShare.median.toFixed(2)} / ${baseline.loadCpuShare.median.toFixed(2)}`,
          ].join(' | '),
        )
        .map((row) => `| ${row} |`),
      '',
    );
  }
  if (results.watch.length > 0) {
    lines.push(
      '## Watch fan-out',
      '',
      'Delivery latency runs from just before the Insert call to the moment a watcher decodes the book',
      '(the send time travels in the title), over the timed inserts that follow a warm-up. Every book,',
      "warm-up included, must reach every watcher in order. Memory is the server's RSS growth while",
      'the watchers opened, divided by their number. CPU is per second of timed inserts (1.0 = one core);',
      'a server at 1.0 could not keep up. Server µs per delivery is its CPU from the first insert until',
      'every watcher had every book, over the books delivered: the cost of a delivery, kept up or not.',
      "The product runs twice: its watchers calling the workshop's Watch (a message per book), and calling",
      'WatchChanges from now (a response per batch: one change while a watcher keeps up, all it fell behind on',
      'when it did). Messages per delivery is the responses that carried books over the books delivered: what',
      "batching saved. p99 WatchChanges / Watch is the median p99 of one over the other's.",
      '',
      '| case | system | delivered | p50 / p99 / max ms | messages per delivery | KiB per watcher | open s | server CPU | server µs per delivery | load CPU |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...results.watch.flatMap(({name, systems}) =>
        WATCH_SYSTEMS.map((system) => {
          const outcome = systems[system];
          return `| ${name} | ${WATCH_LABELS[system]} | ${outcome.delivered} / ${outcome.expected} | ${latencies(outcome)} | ${outcome.messagesPerDelivery.median.toFixed(3)} | ${(outcome.memoryPerWatcherBytes.median / 1024).toFixed(1)} | ${outcome.openSeconds.median.toFixed(2)} | ${outcome.serverCpuShare.median.toFixed(2)} | ${outcome.serverMicrosPerDelivery.median.toFixed(1)} | ${outcome.loadCpuShare.median.toFixed(2)} |`;
        }),
      ),
      '',
      '| case | p99 WatchChanges / Watch | p99 WatchChanges / floor | server µs per delivery WatchChanges / Watch |',
      '|---|---|---|---|',
      ...results.watch
        .map(({name, changesP99Ratio, systems: {product, changes, floor}}) =>
          [
            name,
            `**${changesP99Ratio.toFixed(3)}**`,
            (changes.p99Ms.median / floor.p99Ms.median).toFixed(2),
            (changes.serverMicrosPerDelivery.median / product.serverMicrosPerDelivery.median).toFixed(2),
          ].join(' | '),
        )
        .map((row) => `| ${row} |`),
      '',
    );
  }
  lines.push(...webSection(results));
  const {startup} = results;
  lines.push(
    '## Start-up',
    '',
    '| measurement | median ms | min–max ms |',
    '|---|---|---|',
    `| product server: spawn to "listening" | ${startup.serverStartMs.product.median.toFixed(0)} | ${range(startup.serverStartMs.product)} |`,
    `| baseline server: spawn to "listening" | ${startup.serverStartMs.baseline.median.toFixed(0)} | ${range(startup.serverStartMs.baseline)} |`,
    `| CLI \`list\`: spawn to exit | ${startup.cliListMs.median.toFixed(0)} | ${range(startup.cliListMs)} |`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

function withSpread(spread: Spread, digits: number): string {
  return `${spread.median.toFixed(digits)} ±${(relativeSpread(spread) * 100).toFixed(0)} %`;
}

function latencies(outcome: {p50Ms: Spread; p99Ms: Spread; maxMs: Spread}): string {
  return [outcome.p50Ms, outcome.p99Ms, outcome.maxMs].map((spread) => compact(spread.median)).join(' / ');
}

function compact(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function range(spread: Spread): string {
  return `${spread.min.toFixed(0)}–${spread.max.toFixed(0)}`;
}

/** The web port against the gRPC port of the same server, when the run measured it. */
function webSection({web}: BenchResults): string[] {
  if (web.unary.length === 0 && web.watch.length === 0) return [];
  return [
    '## The web port against the gRPC port',
    '',
    'One server (the product, memory store, its web port on), called on either port, the two taking turns.',
    'Get: the Connect protocol (binary, HTTP/1.1 keep-alive, a connection per caller) against gRPC (HTTP/2,',
    'one connection). Fan-out: WatchChanges from now in gRPC-Web (HTTP/1.1, a connection per watch)',
    'against gRPC. Ratios are web over gRPC: above 1 for requests/s is the web port faster; above 1 for',
    'server CPU or p99 is the web port dearer.',
    '',
    '| case | Connect req/s | gRPC req/s | **ratio** | Connect server µs/call | gRPC server µs/call | CPU ratio | load CPU Connect / gRPC |',
    '|---|---|---|---|---|---|---|---|',
    ...web.unary.map(
      ({name, ratio, cpuRatio, systems: {grpc, web: connect}}) =>
        `| ${name} | ${connect.requestsPerSecond.median.toFixed(0)} | ${grpc.requestsPerSecond.median.toFixed(0)} | **${ratio.toFixed(2)}** | ${connect.serverCpuMicrosPerCall.median.toFixed(1)} | ${grpc.serverCpuMicrosPerCall.median.toFixed(1)} | ${cpuRatio.toFixed(2)} | ${connect.loadCpuShare.median.toFixed(2)} / ${grpc.loadCpuShare.median.toFixed(2)} |`,
    ),
    '',
    '| case | gRPC-Web delivered | gRPC delivered | gRPC-Web p50 / p99 ms | gRPC p50 / p99 ms | gRPC-Web server µs/delivery | gRPC server µs/delivery | **CPU ratio** | p99 ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...web.watch.map(
      ({name, cpuRatio, p99Ratio, systems: {grpc, web: grpcWeb}}) =>
        `| ${name} | ${grpcWeb.delivered} / ${grpcWeb.expected} | ${grpc.delivered} / ${grpc.expected} | ${grpcWeb.p50Ms.median.toFixed(1)} / ${grpcWeb.p99Ms.median.toFixed(1)} | ${grpc.p50Ms.median.toFixed(1)} / ${grpc.p99Ms.median.toFixed(1)} | ${grpcWeb.serverMicrosPerDelivery.median.toFixed(1)} | ${grpc.serverMicrosPerDelivery.median.toFixed(1)} | **${cpuRatio.toFixed(2)}** | ${p99Ratio.toFixed(2)} |`,
    ),
    '',
  ];
}
