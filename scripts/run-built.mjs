// Runs a compiled entry point in this process, compiling first only when a
// source file changed since the last build: `pnpm cli` and `pnpm server`
// start at once, and an edit still takes effect on the next run.
//   node scripts/run-built.mjs dist/src/bin/books.js list --json
// `tsc -b` makes the same check, but starting tsc to find nothing to do
// costs a good part of the CLI's own start-up; comparing modification times
// here is one directory walk. tsc runs only when something changed.
import {spawnSync} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// What tsconfig.json compiles, and the files that change how it compiles.
const SOURCE_DIRS = ['src', 'test', 'bench'];
const BUILD_INPUTS = [
  'tsconfig.json',
  'package.json',
  'pnpm-lock.yaml',
  'src/web/index.html',
  'src/web/page.css',
  'src/web/icon.svg',
];
// Written after each successful build: its time, and the sources it compiled
// (so that a deleted or renamed file counts as a change too).
const STAMP = join(root, 'dist', '.build-stamp');

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write('usage: node scripts/run-built.mjs <compiled entry point> [arguments]\n');
  process.exit(2);
}

const sources = SOURCE_DIRS.flatMap((dir) => typeScriptFiles(join(root, dir)));
const listing = sources.map((file) => relative(root, file)).join('\n');
if (isStale([...sources, ...BUILD_INPUTS.map((file) => join(root, file))], listing)) {
  const startedAt = new Date();
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    // Type errors stop the run, as `tsc && node ...` would, and the next run compiles again
    // (tsc has emitted what it could, so dist/ matches no good build).
    rmSync(STAMP, {force: true});
    process.exit(tsc.status ?? 1);
  }
  // The live page (src/web/, bundled by esbuild into dist/web/).
  const page = spawnSync(process.execPath, [join(root, 'scripts', 'build-page.mjs')], {cwd: root, stdio: 'inherit'});
  if (page.status !== 0) {
    rmSync(STAMP, {force: true});
    process.exit(page.status ?? 1);
  }
  mkdirSync(dirname(STAMP), {recursive: true});
  writeFileSync(STAMP, listing);
  // Dated from the start of the build: a file saved while tsc ran is compiled next time.
  utimesSync(STAMP, startedAt, startedAt);
}

// The entry point reads its arguments from process.argv, as when node runs it directly.
const entryPath = resolve(root, entry);
process.argv.splice(1, process.argv.length - 1, entryPath, ...args);
await import(pathToFileURL(entryPath).href);

function isStale(inputs, listing) {
  let stamp;
  try {
    stamp = {builtAt: statSync(STAMP).mtimeMs, listing: readFileSync(STAMP, 'utf8')};
  } catch {
    return true;
  }
  if (stamp.listing !== listing) return true;
  return inputs.some((file) => modifiedAt(file) > stamp.builtAt);
}

function typeScriptFiles(dir) {
  return readdirSync(dir, {withFileTypes: true, recursive: true})
    .filter((entry) => entry.isFile() && /\.[cm]?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function modifiedAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
