import type {ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {createServer} from 'node:net';
import {createInterface} from 'node:readline';
import pg from 'pg';
import {spawnTracked, stopChild} from './children.js';
import {BASELINE_SERVER_MAIN, FLOOR_SERVER_MAIN, PLAIN_SERVER_MAIN, PRODUCT_SERVER_MAIN} from './paths.js';

export type SystemName = 'product' | 'baseline';
/** The unary cases also run the straightforward nice-grpc server, which pays nice-grpc's costs and no more. */
export type UnarySystemName = SystemName | 'sqlite' | 'plain';
/**
 * The watch cases also run the product's WatchChanges (the same server,
 * the other streaming method) and the floor: what node:http2 allows with no gRPC library.
 */
export type WatchSystemName = SystemName | 'changes' | 'floor';
/**
 * The web case: the product with its web port on, called on its gRPC port
 * (grpc) and on its web port (web: Connect for unary calls, gRPC-Web for WatchChanges).
 */
export type WebSystemName = 'grpc' | 'web';
export type AnySystemName = UnarySystemName | WatchSystemName | WebSystemName;

/** Which streaming method the watchers of a system call: the workshop's Watch, or the change feed. */
export type WatchMethod = 'watch' | 'changes';

/** Where a fresh database per server start lives: a new SQLite file, or a new schema in PostgreSQL. */
export type FreshDatabase = 'sqlite' | 'postgres';

/** A server the harness measures, run as its own process on 127.0.0.1. */
export interface SystemUnderTest<Name extends string = AnySystemName> {
  readonly name: Name;
  readonly description: string;
  readonly main: string;
  readonly args: readonly string[];
  /**
   * sqlite: started with `--db` at a new SQLite file in a directory of its
   * own; postgres: with `--database-schema` naming a new schema in the
   * database at BOOKS_BENCH_DATABASE_URL. Either is removed when it stops.
   */
  readonly freshDatabase?: FreshDatabase;
  /** The method watchers call in the watch cases; Watch unless said otherwise. */
  readonly watchMethod?: WatchMethod;
  /** Started with a web port (a free one); `web`: the load calls it rather than the gRPC port. */
  readonly webPort?: 'listen' | 'call';
}

/** The PostgreSQL database of `--store postgres` measurements; each server start gets a schema of its own in it. */
export const BENCH_DATABASE_URL = process.env['BOOKS_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export const PRODUCT: SystemUnderTest<'product'> = {
  name: 'product',
  description: 'books server (nice-grpc, memory store), node dist/src/server/main.js',
  main: PRODUCT_SERVER_MAIN,
  // info, not warn: the "listening" line is logged at info, and at info the
  // server logs nothing per call (successful calls are logged at debug only).
  args: ['--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--store', 'memory'],
};

export const BASELINE: SystemUnderTest<'baseline'> = {
  name: 'baseline',
  description: 'minimal server of the same contract on @grpc/grpc-js with a Map, bench/baseline',
  main: BASELINE_SERVER_MAIN,
  args: ['--host', '127.0.0.1', '--port', '0'],
};

export const PRODUCT_SQLITE: SystemUnderTest<'sqlite'> = {
  name: 'sqlite',
  description:
    "the books server with its default durable store, SQLite (WAL, synchronous=FULL), on the machine's temporary directory (unary cases only)",
  main: PRODUCT_SERVER_MAIN,
  args: ['--host', '127.0.0.1', '--port', '0', '--log-level', 'info', '--store', 'sqlite'],
  freshDatabase: 'sqlite',
};

export const PRODUCT_CHANGES: SystemUnderTest<'changes'> = {
  ...PRODUCT,
  name: 'changes',
  description:
    'the books server as product, its watchers calling WatchChanges (from now) instead of Watch: a change feed that ' +
    'batches the changes a watcher fell behind on into one response (watch cases only)',
  watchMethod: 'changes',
};

export const PLAIN: SystemUnderTest<'plain'> = {
  name: 'plain',
  description:
    'the straightforward nice-grpc server: the generated definition as it is, a Map, no middleware, bench/plain-nice-grpc (unary cases only)',
  main: PLAIN_SERVER_MAIN,
  args: ['--host', '127.0.0.1', '--port', '0'],
};

export const FLOOR: SystemUnderTest<'floor'> = {
  name: 'floor',
  description:
    'gRPC framing over node:http2 with no gRPC library, each book framed once for all watchers, bench/floor (watch cases only)',
  main: FLOOR_SERVER_MAIN,
  args: ['--host', '127.0.0.1', '--port', '0'],
};

/** The product with its web port on, its load on the gRPC port: the web case's baseline. */
export const PRODUCT_GRPC: SystemUnderTest<'grpc'> = {
  ...PRODUCT,
  name: 'grpc',
  description:
    'the books server as product with its web port on, called on its gRPC port (HTTP/2): Get, and WatchChanges from now (web cases only)',
  watchMethod: 'changes',
  webPort: 'listen',
};

export const PRODUCT_WEB: SystemUnderTest<'web'> = {
  ...PRODUCT_GRPC,
  name: 'web',
  description:
    'the same server called on its web port (HTTP/1.1, connect-node): Get in the Connect protocol (binary), ' +
    'WatchChanges from now in gRPC-Web, a connection per watch (web cases only)',
  webPort: 'call',
};

export interface RunningServer<Name extends string = AnySystemName> {
  readonly system: SystemUnderTest<Name>;
  readonly address: string;
  /** host:port of the web port, when the system has one. */
  readonly webAddress?: string;
  readonly pid: number;
  /** From spawning the process to reading its "listening" line. */
  readonly startMs: number;
  stop(): Promise<void>;
}

/** Where a system's load goes: its web port if it is called there, else its gRPC port. */
export function loadAddress(server: RunningServer<string>): string {
  if (server.system.webPort !== 'call') return server.address;
  if (server.webAddress === undefined) throw new Error(`${server.system.name} has no web port`);
  return server.webAddress;
}

const LISTEN_TIMEOUT_MS = 15_000;

/** Node flags for the servers under test, for profiling (BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'). */
function serverNodeArgs(): string[] {
  return process.env['BENCH_SERVER_NODE_ARGS']?.split(/\s+/).filter((arg) => arg !== '') ?? [];
}

/** Starts the server and resolves once it has logged that it is listening. */
export async function startServer<Name extends string>(system: SystemUnderTest<Name>): Promise<RunningServer<Name>> {
  const database = freshDatabaseFor(system.freshDatabase);
  const args = [...system.args, ...database.args];
  const removeData = database.remove;
  // No web port unless the system calls for one: the default (8080) is one port for every
  // server of a run. An environment variable, not --web-port, which servers before it would
  // refuse (pnpm bench:compare); the server refuses 0 as "off", so a free port is picked here.
  const webPort = system.webPort === undefined ? 0 : await freePort();
  const started = performance.now();
  const child = spawnTracked(process.execPath, [...serverNodeArgs(), system.main, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {...process.env, BOOKS_WEB_PORT: String(webPort)},
  });
  try {
    const {address, web} = await listeningAddress(child, system.name);
    const startMs = performance.now() - started;
    if (system.webPort !== undefined && web === undefined)
      throw new Error(`${system.name} server logged no web port in its "listening" line`);
    // Keep reading stdout so that a chatty server never blocks on a full pipe.
    child.stdout!.resume();
    return {
      system,
      address,
      ...(web === undefined ? {} : {webAddress: web.replace(/^http:\/\//, '')}),
      pid: child.pid!,
      startMs,
      stop: () => stopChild(child).then(removeData),
    };
  } catch (error: unknown) {
    await stopChild(child);
    await removeData();
    throw error;
  }
}

interface DatabaseOfOneStart {
  readonly args: readonly string[];
  remove(): Promise<void>;
}

let schemasMade = 0;

/** Server arguments naming a database nobody has used, and how to remove it once the server has stopped. */
function freshDatabaseFor(kind: FreshDatabase | undefined): DatabaseOfOneStart {
  if (kind === 'sqlite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'books-bench-'));
    return {
      args: ['--db', join(dataDir, 'books.db')],
      remove: async () => rmSync(dataDir, {recursive: true, force: true}),
    };
  }
  if (kind === 'postgres') {
    // The server creates the schema on start; unique per harness process and start.
    const schema = `books_bench_${process.pid}_${++schemasMade}`;
    return {
      args: ['--database-url', BENCH_DATABASE_URL, '--database-schema', schema],
      remove: () => dropSchema(schema),
    };
  }
  return {args: [], remove: async () => {}};
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({connectionString: BENCH_DATABASE_URL});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A port nobody listens on now, from the kernel (taken back at once: another process could win it, rarely). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address() as {port: number};
      probe.close(() => resolve(port));
    });
  });
}

function listeningAddress(child: ChildProcess, name: string): Promise<{address: string; web?: string}> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({input: child.stdout!});
    const timer = setTimeout(
      () => fail(`${name} server did not log "listening" within ${LISTEN_TIMEOUT_MS} ms`),
      LISTEN_TIMEOUT_MS,
    );
    const fail = (message: string): void => {
      clearTimeout(timer);
      lines.close();
      reject(new Error(message));
    };
    lines.on('line', (line) => {
      const entry = parseJsonLine(line);
      if (entry?.['msg'] !== 'listening') return;
      clearTimeout(timer);
      lines.close();
      const web = entry['web'];
      resolve({address: String(entry['address']), ...(typeof web === 'string' ? {web} : {})});
    });
    child.once('exit', (code, signal) =>
      fail(`${name} server exited before listening (code ${code}, signal ${signal})`),
    );
  });
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
