import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';
import {isLogLevel, LOG_LEVELS, type LogLevel} from './logger.js';

export const STORE_KINDS = ['sqlite', 'memory', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Everything the server can be told, from flags and environment variables. */
export interface Config {
  /** Where books are kept: PostgreSQL if a database URL is given, else a SQLite file. */
  readonly store: StoreKind;
  readonly sqlitePath: string;
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  /** Changes one watcher may fall behind before its watch ends with RESOURCE_EXHAUSTED. */
  readonly watchQueueSize: number;
  /** Changes the log keeps at least, so that cursors this recent can resume. */
  readonly changesRetention: number;
  /** How often an idle WatchChanges stream is sent a heartbeat with the current cursor. */
  readonly changesHeartbeatMs: number;
  /** How long shutdown waits for in-flight calls before cancelling them. */
  readonly shutdownTimeoutMs: number;
  /** How long shutdown reports NOT_SERVING, still serving, before it stops accepting calls. */
  readonly drainDelayMs: number;
  /** Open watches allowed at once; one more is RESOURCE_EXHAUSTED. */
  readonly maxWatchers: number;
  /** Largest request message accepted; larger is RESOURCE_EXHAUSTED. */
  readonly maxRequestBytes: number;
  /** Interval of keepalive pings on idle connections; a peer silent for this plus 10 s is dropped. */
  readonly keepaliveMs: number;
  /** PEM certificate chain and key files: with both, the server speaks TLS only. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** When set, writes (and reads too, with authReads) need this bearer token. */
  readonly token: string | undefined;
  readonly authReads: boolean;
  /** Port of the Prometheus /metrics endpoint; none when undefined. */
  readonly metricsPort: number | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_USAGE = `Usage: books-server [options]

Options (flag, then environment variable, then default):
  --store <kind>              BOOKS_STORE                postgres with a database URL, else sqlite
                                                         (sqlite, memory, postgres)
  --db <file>                 BOOKS_DB                   data/books.db (SQLite; relative to the working
                                                         directory)
  --database-url <url>        DATABASE_URL               none (PostgreSQL, e.g. postgres://user@host/db)
  --database-schema <name>    BOOKS_DATABASE_SCHEMA      public (replicas sharing it see each other)
  --host <host>               BOOKS_HOST                 0.0.0.0
  --port <port>               BOOKS_PORT, PORT           50051 (0 picks a free port)
  --log-level <level>         BOOKS_LOG_LEVEL            info (${LOG_LEVELS.join(', ')})
  --watch-queue-size <n>      BOOKS_WATCH_QUEUE_SIZE     1024 changes per watcher
  --changes-retention <n>     BOOKS_CHANGES_RETENTION    100000 changes kept for resuming (at least)
  --changes-heartbeat-ms <ms> BOOKS_CHANGES_HEARTBEAT_MS 15000 (an idle WatchChanges gets the cursor)
  --shutdown-timeout-ms <ms>  BOOKS_SHUTDOWN_TIMEOUT_MS  5000
  --drain-delay-ms <ms>       BOOKS_DRAIN_DELAY_MS       0 (NOT_SERVING for this long before stopping,
                                                         so load balancers move traffic away first)
  --max-watchers <n>          BOOKS_MAX_WATCHERS         20000 open watches
  --max-request-bytes <n>     BOOKS_MAX_REQUEST_BYTES    16384 (a book is at most about 2 KiB)
  --keepalive-ms <ms>         BOOKS_KEEPALIVE_MS         30000 (a vanished client is dropped
                                                         within this plus 10 s)
  --tls-cert <file>           BOOKS_TLS_CERT             none (PEM certificate chain; with --tls-key: TLS only)
  --tls-key <file>            BOOKS_TLS_KEY              none (PEM private key)
  --token-file <file>         BOOKS_TOKEN_FILE           none (or the token itself in BOOKS_TOKEN; never a
                                                         flag, which would show in ps): Insert and Delete
                                                         then need "authorization: Bearer <token>"
  --auth-reads                BOOKS_AUTH_READS=true      reads need the token too
  --metrics-port <port>       BOOKS_METRICS_PORT         none (Prometheus metrics at http://host:port/metrics)
  -h, --help                  print this help
`;

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads flags, then the environment, then falls back to safe defaults. Throws ConfigError. */
export function loadConfig(argv: readonly string[], env: Env): Config & {help: boolean} {
  const {values} = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      store: {type: 'string'},
      db: {type: 'string'},
      'database-url': {type: 'string'},
      'database-schema': {type: 'string'},
      host: {type: 'string'},
      port: {type: 'string'},
      'log-level': {type: 'string'},
      'watch-queue-size': {type: 'string'},
      'changes-retention': {type: 'string'},
      'changes-heartbeat-ms': {type: 'string'},
      'shutdown-timeout-ms': {type: 'string'},
      'drain-delay-ms': {type: 'string'},
      'max-watchers': {type: 'string'},
      'max-request-bytes': {type: 'string'},
      'keepalive-ms': {type: 'string'},
      'tls-cert': {type: 'string'},
      'tls-key': {type: 'string'},
      'token-file': {type: 'string'},
      'auth-reads': {type: 'boolean'},
      'metrics-port': {type: 'string'},
      help: {type: 'boolean', short: 'h'},
    },
  });
  const logLevel = values['log-level'] ?? env['BOOKS_LOG_LEVEL'] ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const databaseUrl = values['database-url'] ?? env['DATABASE_URL'] ?? undefined;
  const store = values.store ?? env['BOOKS_STORE'] ?? (databaseUrl === undefined ? 'sqlite' : 'postgres');
  if (!isStoreKind(store)) {
    throw new ConfigError(`store must be one of ${STORE_KINDS.join(', ')}, got "${store}"`);
  }
  if (store === 'postgres' && databaseUrl === undefined) {
    throw new ConfigError('the postgres store needs --database-url or DATABASE_URL');
  }
  const databaseSchema = values['database-schema'] ?? env['BOOKS_DATABASE_SCHEMA'] ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(databaseSchema)) {
    throw new ConfigError(`database schema must be a lower-case SQL name, got "${databaseSchema}"`);
  }
  const tls = [values['tls-cert'] ?? env['BOOKS_TLS_CERT'], values['tls-key'] ?? env['BOOKS_TLS_KEY']];
  if (tls.filter((file) => orUndefined(file) !== undefined).length === 1) {
    throw new ConfigError('TLS needs both --tls-cert and --tls-key');
  }
  return {
    store,
    sqlitePath: values.db ?? env['BOOKS_DB'] ?? 'data/books.db',
    databaseUrl: databaseUrl === '' ? undefined : databaseUrl,
    databaseSchema,
    host: values.host ?? env['BOOKS_HOST'] ?? '0.0.0.0',
    port: integer('port', values.port ?? env['BOOKS_PORT'] ?? env['PORT'] ?? '50051', 0, 65_535),
    logLevel,
    watchQueueSize: integer(
      'watch queue size',
      values['watch-queue-size'] ?? env['BOOKS_WATCH_QUEUE_SIZE'] ?? '1024',
      1,
      1_000_000,
    ),
    changesRetention: integer(
      'changes retention',
      values['changes-retention'] ?? env['BOOKS_CHANGES_RETENTION'] ?? '100000',
      1,
      1_000_000_000,
    ),
    changesHeartbeatMs: integer(
      'changes heartbeat',
      values['changes-heartbeat-ms'] ?? env['BOOKS_CHANGES_HEARTBEAT_MS'] ?? '15000',
      100,
      3_600_000,
    ),
    shutdownTimeoutMs: integer(
      'shutdown timeout',
      values['shutdown-timeout-ms'] ?? env['BOOKS_SHUTDOWN_TIMEOUT_MS'] ?? '5000',
      0,
      600_000,
    ),
    drainDelayMs: integer('drain delay', values['drain-delay-ms'] ?? env['BOOKS_DRAIN_DELAY_MS'] ?? '0', 0, 600_000),
    maxWatchers: integer('max watchers', values['max-watchers'] ?? env['BOOKS_MAX_WATCHERS'] ?? '20000', 1, 10_000_000),
    maxRequestBytes: integer(
      'max request bytes',
      values['max-request-bytes'] ?? env['BOOKS_MAX_REQUEST_BYTES'] ?? '16384',
      1024,
      64 * 1024 * 1024,
    ),
    keepaliveMs: integer('keepalive', values['keepalive-ms'] ?? env['BOOKS_KEEPALIVE_MS'] ?? '30000', 1000, 86_400_000),
    tlsCertFile: orUndefined(values['tls-cert'] ?? env['BOOKS_TLS_CERT']),
    tlsKeyFile: orUndefined(values['tls-key'] ?? env['BOOKS_TLS_KEY']),
    token: readToken(values['token-file'] ?? env['BOOKS_TOKEN_FILE'], env['BOOKS_TOKEN']),
    authReads: values['auth-reads'] ?? env['BOOKS_AUTH_READS'] === 'true',
    metricsPort: optionalInteger('metrics port', values['metrics-port'] ?? env['BOOKS_METRICS_PORT'], 0, 65_535),
    help: values.help ?? false,
  };
}

function orUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function readToken(file: string | undefined, value: string | undefined): string | undefined {
  let token = orUndefined(value);
  if (orUndefined(file) !== undefined) {
    try {
      token = readFileSync(file as string, 'utf8');
    } catch (error: unknown) {
      throw new ConfigError(`cannot read the token file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  token = token?.trim();
  if (token === '') throw new ConfigError('the token is empty');
  return token;
}

function isStoreKind(value: string): value is StoreKind {
  return (STORE_KINDS as readonly string[]).includes(value);
}

/** The configuration as printed at start-up: the database URL without its password. */
export function describeConfig(config: Config): Record<string, unknown> {
  const described: Record<string, unknown> = {...config, token: config.token === undefined ? 'none' : 'set'};
  if (config.databaseUrl !== undefined) {
    try {
      const url = new URL(config.databaseUrl);
      if (url.password !== '') url.password = '***';
      described['databaseUrl'] = url.toString();
    } catch {
      described['databaseUrl'] = '(not a URL)';
    }
  }
  return described;
}

function optionalInteger(name: string, text: string | undefined, min: number, max: number): number | undefined {
  return text === undefined || text === '' ? undefined : integer(name, text, min, max);
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
