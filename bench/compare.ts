#!/usr/bin/env node
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs';
import {loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {parseArgs} from 'node:util';
import type {UnaryMethod} from './messages.js';
import {REPO_ROOT} from './paths.js';
import {FULL_PLAN, type UnaryCase} from './plan.js';
import {measureInTurns, unaryCaseName} from './suites/unary.js';
import {BENCH_DATABASE_URL, PRODUCT, type FreshDatabase, type SystemUnderTest} from './systems.js';

// Before and after: the product as it is against the product at an earlier
// commit, in one run, taking turns, so that a change's effect is a ratio
// anyone can measure again. The earlier commit is built in a git worktree
// that shares this checkout's node_modules.

const USAGE = `Usage: pnpm bench:compare <git-ref> [--store memory|sqlite|postgres] [--methods get,insert,list]
                          [--concurrency 1,16,64] [--connections 1] [--rounds 4]

Runs the unary cases against this checkout's server ("after") and the server
at <git-ref> ("before"), and writes bench/results/compare/<ref>-<store>.md.
Each server start gets a database of its own: a new SQLite file, or for
postgres a new schema (dropped afterwards) in the database at
BOOKS_BENCH_DATABASE_URL (default ${BENCH_DATABASE_URL}).
`;

const {values, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    store: {type: 'string', default: 'memory'},
    methods: {type: 'string', default: 'get,insert,list'},
    concurrency: {type: 'string', default: '1,16,64'},
    connections: {type: 'string', default: '1'},
    rounds: {type: 'string', default: '4'},
    help: {type: 'boolean', short: 'h', default: false},
  },
});
const ref = positionals[0];
if (values.help || ref === undefined || !['memory', 'sqlite', 'postgres'].includes(values.store)) {
  process.stdout.write(USAGE);
  process.exit(values.help ? 0 : 2);
}

const began = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[compare ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

const git = (...args: string[]): string => execFileSync('git', ['-C', REPO_ROOT, ...args], {encoding: 'utf8'}).trim();
const commit = git('rev-parse', '--short', `${ref}^{commit}`);
const beforeMain = buildAt(commit);

const storeArgs = ['--store', values.store];
const freshDatabase = values.store === 'memory' ? undefined : (values.store as FreshDatabase);
const after: SystemUnderTest<'after'> = {
  name: 'after',
  description: `this checkout (${git('describe', '--always', '--dirty')})`,
  main: PRODUCT.main,
  args: [...PRODUCT.args.filter((arg, index, all) => arg !== '--store' && all[index - 1] !== '--store'), ...storeArgs],
  ...(freshDatabase === undefined ? {} : {freshDatabase}),
};
const before: SystemUnderTest<'before'> = {
  ...after,
  name: 'before',
  description: `${ref} (${commit})`,
  main: beforeMain,
};

const list = (text: string): string[] => text.split(',').map((part) => part.trim());
const cases: UnaryCase[] = list(values.methods).flatMap((method) =>
  list(values.concurrency).flatMap((concurrency) =>
    list(values.connections).map((connections) => ({
      method: method as UnaryMethod,
      concurrency: Number(concurrency),
      connections: Number(connections),
    })),
  ),
);
const rounds = Number(values.rounds);

const rows: string[] = [];
const ids = {next: 1_000_000};
const timing = {rounds, warmupMs: FULL_PLAN.unary.warmupMs, durationMs: FULL_PLAN.unary.durationMs};
for (const unaryCase of cases) {
  const name = unaryCaseName(unaryCase);
  const {after: now, before: then} = await measureInTurns([after, before], unaryCase, timing, ids);
  const ratio = now.requestsPerSecond.median / then.requestsPerSecond.median;
  const cpu = (result: typeof now): string => result.serverCpuMicrosPerCall.median.toFixed(0);
  log(`${name.padEnd(22)} after/before ${ratio.toFixed(2)}, server CPU µs/call ${cpu(now)} / ${cpu(then)}`);
  rows.push(
    `| ${name} | ${Math.round(now.requestsPerSecond.median)} | ${Math.round(then.requestsPerSecond.median)} | **${ratio.toFixed(2)}** | ${cpu(now)} / ${cpu(then)} |`,
  );
}

const outDir = join(REPO_ROOT, 'bench', 'results', 'compare');
mkdirSync(outDir, {recursive: true});
const report = join(outDir, `${ref.replace(/[^\w.-]+/g, '_')}-${values.store}.md`);
writeFileSync(
  report,
  [
    `# before and after: ${values.store} store`,
    '',
    `${new Date().toISOString()}, Node ${process.versions.node}, ${loadAverage()}. After: ${after.description}. Before: ${before.description}.`,
    `Medians of ${rounds} rounds each, the two servers taking turns.`,
    '',
    '| case | after req/s | before req/s | after / before | server CPU µs/call after / before |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
log(`report written to ${report}`);
process.exit(0);

/** The machine's load when the report is written: other work on a shared machine blurs a ratio. */
function loadAverage(): string {
  const [one = Number.NaN, five = Number.NaN] = loadavg();
  return `load average ${one.toFixed(1)} (1 min) / ${five.toFixed(1)} (5 min) at the end`;
}

/**
 * The server's entry point at `commit`, compiled in a worktree of its own
 * (reused if a build there finished). A build that fails (the commit needs
 * packages this checkout lacks, say) removes its worktree, so that the next
 * run builds again rather than measuring a half-compiled server.
 */
function buildAt(commit: string): string {
  const tree = join(tmpdir(), `books-compare-${commit}`);
  const main = join(tree, 'dist', 'src', 'server', 'main.js');
  const built = join(tree, 'dist', '.bench-compare-built');
  if (existsSync(built)) return main;
  if (existsSync(tree)) git('worktree', 'remove', '--force', tree);
  log(`building ${commit} in ${tree}`);
  git('worktree', 'add', '--detach', tree, commit);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  try {
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', tree], {stdio: 'inherit'});
  } catch (error: unknown) {
    git('worktree', 'remove', '--force', tree);
    throw new Error(`${commit} does not build with this checkout's node_modules`, {cause: error});
  }
  writeFileSync(built, `${commit}\n`);
  return main;
}
