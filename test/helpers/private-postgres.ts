import {execFile, spawnSync} from 'node:child_process';
import {appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {freePort} from './free-port.js';

// A PostgreSQL server of a test's own, for tests that restart, crash or
// stop the database: the shared one (BOOKS_TEST_DATABASE_URL) serves the
// suites running beside them and must stay up.

const run = promisify(execFile);

/** How a running server is stopped, as `pg_ctl -m` names it. */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface PrivatePostgresOptions {
  /** `max_connections`: small, so that a test can show it running out. Default 50. */
  readonly maxConnections?: number;
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** Its data directory, socket and log are in here; dispose removes it. */
  readonly dir: string;
  /** The server's log (`pg_ctl -l`), for a test that failed to say why. */
  log(): string;
  /** `pg_ctl restart -m <mode>` (fast by default; immediate is a crash, recovered from the WAL at start). */
  restart(mode?: ShutdownMode): Promise<void>;
  stop(mode?: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once and removes its files. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Where the PostgreSQL programs are: BOOKS_TEST_POSTGRES_BIN, else Debian's place for 15, else another version's. */
function findBinDir(): string | undefined {
  const chosen = process.env['BOOKS_TEST_POSTGRES_BIN'];
  if (chosen !== undefined && chosen !== '') return chosen;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return ['15', ...versions]
    .map((version) => join(root, version, 'bin'))
    .find((dir) => existsSync(join(dir, 'initdb')));
}

const BIN_DIR = findBinDir();

/**
 * initdb refuses to run as root, and sessions and CI run as root: then the
 * programs run as the postgres user, which owns the data directory.
 */
const AS_ROOT = process.getuid?.() === 0;

function postgresUser(): {uid: number; gid: number} | undefined {
  const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '';
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  const [, , uid, gid] = entry?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : {uid: Number(uid), gid: Number(gid)};
}

/**
 * Why a private PostgreSQL cannot be started here, or undefined when it
 * can. CI must run these tests, so there a missing server is a failure.
 */
export function privatePostgresSkipReason(): string | undefined {
  let reason: string | undefined;
  if (BIN_DIR === undefined) reason = 'no PostgreSQL programs (initdb, pg_ctl) under /usr/lib/postgresql';
  else if (AS_ROOT && postgresUser() === undefined) reason = 'running as root with no postgres user to run initdb as';
  if (reason === undefined) return undefined;
  const suites = `private PostgreSQL suites (database restarts): ${reason}; set BOOKS_TEST_POSTGRES_BIN`;
  if (process.env['CI'] === 'true') throw new Error(`${suites}, and CI must run them`);
  return suites;
}

export const PRIVATE_POSTGRES_AVAILABLE = privatePostgresSkipReason() === undefined;

/** Runs a PostgreSQL program, as the postgres user when this process is root. */
async function pgProgram(program: string, args: readonly string[]): Promise<string> {
  const path = join(BIN_DIR ?? '', program);
  const [command, commandArgs] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
  try {
    const {stdout} = await run(command, commandArgs, {encoding: 'utf8'});
    return stdout;
  } catch (error: unknown) {
    const {stderr, stdout} = error as {stderr?: string; stdout?: string};
    throw new Error(`${program} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`);
  }
}

function pgProgramSync(program: string, args: readonly string[]): void {
  const path = join(BIN_DIR ?? '', program);
  const [command, commandArgs] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, [...args]];
  spawnSync(command, commandArgs, {stdio: 'ignore'});
}

/** A fresh directory that the postgres user owns (this process's user, unless root). */
function ownedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const user = AS_ROOT ? postgresUser() : undefined;
  if (user !== undefined) spawnSync('chown', [`${user.uid}:${user.gid}`, dir]);
  return dir;
}

/**
 * Directories to remove and servers to stop when this process exits, for a
 * test cancelled before its t.after ran: no server outlives its test file.
 */
const leftovers = {dirs: new Set<string>(), running: new Set<string>()};
function cleanUpLeftovers(): void {
  for (const data of leftovers.running) pgProgramSync('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
  leftovers.running.clear();
  for (const dir of leftovers.dirs) rmSync(dir, {recursive: true, force: true});
  leftovers.dirs.clear();
}
process.on('exit', cleanUpLeftovers);
// Interrupted (Ctrl-C, the test runner's SIGTERM), the 'exit' event does not
// come: clean up, then die of the signal as the process would have, unless
// the program handles the signal itself and exits in its own time.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = (): void => {
    cleanUpLeftovers();
    if (process.listenerCount(signal) === 1) {
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    }
  };
  process.on(signal, onSignal);
}

/**
 * One initdb per process (most of a second), copied for each server (a
 * tenth of that): every server starts from an empty cluster of its own.
 */
let template: Promise<string> | undefined;
function initdbOnce(): Promise<string> {
  template ??= (async () => {
    const dir = ownedTempDir('books-pg-template-');
    leftovers.dirs.add(dir);
    const data = join(dir, 'data');
    // --no-sync: a template is copied, never crashed; each copy syncs its own writes.
    await pgProgram('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    return data;
  })();
  return template;
}

/**
 * Starts an empty PostgreSQL server of its own on 127.0.0.1 and a free port
 * (no Unix socket outside its directory). Register `dispose` in t.after.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  if (BIN_DIR === undefined) throw new Error(privatePostgresSkipReason());
  const source = await initdbOnce();
  const dir = ownedTempDir('books-pg-');
  leftovers.dirs.add(dir);
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // `cp -a` keeps the postgres user as owner, and the 0700 mode PostgreSQL demands.
  await run('cp', ['-a', source, data]);
  let port = 0;
  let disposed = false;

  const ctl = async (args: readonly string[]): Promise<void> => {
    await pgProgram('pg_ctl', [...args, '-D', data, '-w', '-t', '60']);
  };
  const start = async (): Promise<void> => {
    leftovers.running.add(data);
    await ctl(['start', '-l', logFile]);
  };

  // The port is free when picked but not reserved: another process may take
  // it before PostgreSQL binds it, and then another port is tried.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        `max_connections = ${options.maxConnections ?? 50}`,
        // Small: many of these run on a machine shared with other tests.
        "shared_buffers = '16MB'",
        '',
      ].join('\n'),
    );
    try {
      await start();
      break;
    } catch (error: unknown) {
      leftovers.running.delete(data);
      if (attempt >= 5 || !/could not bind|Address already in use/.test(readLog(logFile))) {
        rmSync(dir, {recursive: true, force: true});
        leftovers.dirs.delete(dir);
        throw error;
      }
    }
  }

  const stop = async (mode: ShutdownMode = 'fast'): Promise<void> => {
    await ctl(['stop', '-m', mode]);
    leftovers.running.delete(data);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    log: () => readLog(logFile),
    restart: (mode = 'fast') => ctl(['restart', '-m', mode, '-l', logFile]),
    stop,
    start,
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (leftovers.running.has(data)) await stop('immediate').catch(() => {});
      rmSync(dir, {recursive: true, force: true});
      leftovers.dirs.delete(dir);
    },
  };
}

function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
