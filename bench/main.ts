#!/usr/bin/env node
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {cpus, platform, release} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {parseBenchArgs} from './args.js';
import {REPO_ROOT} from './paths.js';
import {FULL_PLAN, QUICK_PLAN} from './plan.js';
import {renderMarkdown} from './report/markdown.js';
import {renderChart} from './report/svg-chart.js';
import {evaluateTargets, findFailures} from './report/targets.js';
import type {BenchResults, StartupResult} from './results.js';
import {runStartupSuite} from './suites/startup.js';
import {runUnarySuite} from './suites/unary.js';
import {runWatchSuite} from './suites/watch.js';
import {runWebSuite} from './suites/web.js';
import {spreadOf} from './stats.js';
import {
  BASELINE,
  FLOOR,
  PLAIN,
  PRODUCT,
  PRODUCT_CHANGES,
  PRODUCT_GRPC,
  PRODUCT_SQLITE,
  PRODUCT_WEB,
} from './systems.js';

const args = parseBenchArgs(process.argv.slice(2));
const plan = args.quick ? QUICK_PLAN : FULL_PLAN;
const began = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};
log(`${plan.mode} mode: ${args.suites.join(', ')}`);

const unary = args.suites.includes('unary') ? await runUnarySuite(plan.unary, log) : [];
const watch = args.suites.includes('watch') ? await runWatchSuite(plan.watch, log) : [];
const web = args.suites.includes('web') ? await runWebSuite(plan.web, log) : {unary: [], watch: []};
const startup: StartupResult = args.suites.includes('startup')
  ? await runStartupSuite(plan.startup, log)
  : {serverStartMs: {product: spreadOf([]), baseline: spreadOf([])}, cliListMs: spreadOf([]), cliFailures: 0};

const measured = {unary, watch, web, startup};
const results: BenchResults = {
  mode: plan.mode,
  date: new Date().toISOString(),
  commit: describeCommit(),
  machine: {
    node: process.versions.node,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    platform: `${platform()} ${release()}`,
  },
  systems: {
    product: PRODUCT.description,
    changes: PRODUCT_CHANGES.description,
    sqlite: PRODUCT_SQLITE.description,
    baseline: BASELINE.description,
    plain: PLAIN.description,
    floor: FLOOR.description,
    grpc: PRODUCT_GRPC.description,
    web: PRODUCT_WEB.description,
  },
  ...measured,
  targets: evaluateTargets(measured),
  failures: findFailures(measured),
};

mkdirSync(args.outDir, {recursive: true});
writeFileSync(join(args.outDir, 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(args.outDir, 'bench.svg'), renderChart(results));
writeFileSync(join(args.outDir, 'bench.md'), renderMarkdown(results, 'bench.svg'));
log(`report written to ${args.outDir}/bench.{md,json,svg}`);
for (const target of results.targets)
  log(`target ${target.met ? 'met   ' : 'MISSED'} ${target.target}: ${target.measured}`);
for (const result of web.unary)
  log(
    `web port / gRPC port, ${result.name}: requests/s ${result.ratio.toFixed(2)}x, server CPU per call ${result.cpuRatio.toFixed(2)}x`,
  );
for (const result of web.watch)
  log(
    `web port / gRPC port, ${result.name}: server CPU per delivery ${result.cpuRatio.toFixed(2)}x, p99 ${result.p99Ratio.toFixed(2)}x`,
  );
for (const failure of results.failures) log(`FAILED ${failure}`);
process.exit(results.failures.length === 0 ? 0 : 1);

function describeCommit(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {cwd: REPO_ROOT, encoding: 'utf8'}).trim();
  } catch {
    return 'unknown';
  }
}
