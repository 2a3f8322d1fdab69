import {spawn, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';

/** The compiled `books` command, as `pnpm cli` runs it, and `pnpm server` as `books server`. */
export const BOOKS_BIN = fileURLToPath(new URL('../../src/bin/books.js', import.meta.url));

/**
 * Every child still running. A test kills its children in `t.after` or
 * `finally`; this is the last resort for a test that was cancelled while
 * waiting, so that no child outlives the test file.
 */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function tracked(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** Every log line so far, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<Exit>;
}

/**
 * Starts `books server` as its own process and waits for its "listening"
 * line. It keeps books in memory unless `args` choose a store, and serves
 * no web port unless `args` name one (the default, 8080, is one port for every test).
 */
export async function startServerProcess(
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const store = args.some((arg) => ['--store', '--db', '--database-url'].includes(arg)) ? [] : ['--store', 'memory'];
  const web = args.includes('--web-port') ? [] : ['--web-port', '0'];
  const child = tracked(
    spawn(process.execPath, [BOOKS_BIN, 'server', '--host', '127.0.0.1', '--port', '0', ...store, ...web, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {...process.env, ...env},
    }),
  );
  const exited = exitOf(child);
  const logs: Record<string, unknown>[] = [];
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({input: child.stdout!}).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry['msg'] === 'listening') resolve(String(entry['address']));
    });
    void exited.then((exit) => reject(new Error(`server exited before listening: ${JSON.stringify(exit)}`)));
  });
  return {child, address, logs, exited};
}

export interface CliResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion as a user would, with `env` added to the environment. */
export async function runCliProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const exit = await exitOf(child);
    return {...exit, stdout, stderr};
  } finally {
    child.kill('SIGKILL');
  }
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return tracked(
    spawn(process.execPath, [BOOKS_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, BOOKS_ADDRESS: '', ...env},
    }),
  );
}

export async function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return {code: child.exitCode, signal: child.signalCode};
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return {code, signal};
}

/**
 * Runs `books server` with exactly `args` until it exits by itself, as it
 * does after a usage mistake; `started` receives the child, for the test to
 * kill it should it not.
 */
export async function runServerProcess(
  args: readonly string[],
  started: (child: ChildProcess) => void,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = tracked(
    spawn(process.execPath, [BOOKS_BIN, 'server', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, ...env},
    }),
  );
  started(child);
  const output = {stdout: '', stderr: ''};
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  // 'close', not 'exit': the last output may still be in the pipes when the process exits.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return {code, signal, ...output};
}
