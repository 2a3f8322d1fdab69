import {parseArgs} from 'node:util';
import {join} from 'node:path';
import {REPO_ROOT} from './paths.js';

export const SUITES = ['unary', 'watch', 'web', 'startup'] as const;
export type SuiteName = (typeof SUITES)[number];

export interface BenchArgs {
  readonly quick: boolean;
  /** Where the report goes: bench/results for a full run, bench/results/quick (not committed) for CI. */
  readonly outDir: string;
  readonly suites: readonly SuiteName[];
}

export const BENCH_USAGE = `Usage: pnpm bench [--quick] [--only unary,watch,web,startup] [--out <dir>]

  --quick   CI mode: every kind of measurement once, briefly (under a minute);
            fails unless every call succeeds and every watcher gets every book
  --only    run only these suites (for profiling one of them)
  --out     directory for bench.md, bench.json and bench.svg
`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const {values} = parseArgs({
    args: [...argv],
    options: {
      quick: {type: 'boolean', default: false},
      only: {type: 'string'},
      out: {type: 'string'},
      help: {type: 'boolean', short: 'h', default: false},
    },
  });
  if (values.help) {
    process.stdout.write(BENCH_USAGE);
    process.exit(0);
  }
  const suites = values.only === undefined ? [...SUITES] : values.only.split(',').map((name) => name.trim());
  const unknown = suites.filter((name) => !(SUITES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown suite(s): ${unknown.join(', ')}\n\n${BENCH_USAGE}`);
  const quick = values.quick;
  return {
    quick,
    outDir: values.out ?? join(REPO_ROOT, 'bench', 'results', ...(quick ? ['quick'] : [])),
    suites: suites as SuiteName[],
  };
}
