import {LOG_LEVELS} from './logger.js';
import {
  bearerToken,
  integer,
  nonEmptyText,
  oneOf,
  optional,
  originList,
  postgresUrl,
  sqlName,
  trueOrFalse,
  type Parser,
} from './setting-parsers.js';

export const STORE_KINDS = ['sqlite', 'memory', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/**
 * One thing the server can be told. Its value comes from its flag, else the
 * first of its environment variables that is set and not empty, else its
 * default; all three are text read by `parse`.
 */
export interface Setting<T> {
  /** The flag without its dashes; none for a secret, which a flag would show in `ps`. */
  readonly flag?: string;
  /** The flag's value in --help, as `<port>`; none for a switch, whose flag alone means true. */
  readonly placeholder?: string;
  readonly env: readonly string[];
  /** Parsed like any other text; empty means none to an `optional` parser. */
  readonly default: string;
  /** The default as --help and the README say it, when it is not simply `default`. */
  readonly defaultText?: string;
  readonly parse: Parser<T>;
  /** One sentence for --help and the README (`code` in backticks). */
  readonly help: string;
  /**
   * Kept out of messages and the printed configuration: the whole value, or
   * the password inside a URL.
   */
  readonly secret?: 'value' | 'password';
  /** The stores it means something to, when not every store: the start-up line leaves it out for the others. */
  readonly stores?: readonly StoreKind[];
}

/** Every server setting, in --help and README order. Config's fields are named by these keys. */
export const SETTINGS = {
  store: {
    flag: 'store',
    placeholder: '<kind>',
    env: ['BOOKS_STORE'],
    default: '',
    defaultText: '`postgres` if a database URL is set, else `sqlite`',
    parse: optional(oneOf(STORE_KINDS)),
    help: '`sqlite`, `memory` (forgets on exit) or `postgres`',
  },
  sqlitePath: {
    flag: 'db',
    placeholder: '<file>',
    env: ['BOOKS_DB'],
    default: 'data/books.db',
    parse: nonEmptyText,
    help:
      'the SQLite file, relative to the working directory (WAL; every write is synced before it is acknowledged, ' +
      "and writes that arrive together share one commit; Node's built-in `node:sqlite` where it exists, " +
      'better-sqlite3 on Node 20)',
    stores: ['sqlite'],
  },
  databaseUrl: {
    flag: 'database-url',
    placeholder: '<url>',
    env: ['DATABASE_URL'],
    default: '',
    parse: optional(postgresUrl),
    help: 'PostgreSQL, e.g. `postgres://user:password@host:5432/books`',
    secret: 'password',
    stores: ['postgres'],
  },
  databaseSchema: {
    flag: 'database-schema',
    placeholder: '<name>',
    env: ['BOOKS_DATABASE_SCHEMA'],
    default: 'public',
    parse: sqlName,
    help: 'schema for the tables; replicas that share it share the catalogue',
    stores: ['postgres'],
  },
  databaseMaxConnections: {
    flag: 'database-max-connections',
    placeholder: '<n>',
    env: ['BOOKS_DATABASE_MAX_CONNECTIONS'],
    default: '10',
    parse: integer(3, 10_000),
    help:
      'connections to PostgreSQL at most, all told: one listens for changes, a quarter of the rest (at least 1) ' +
      'read `include_existing` snapshots, the others serve calls',
    stores: ['postgres'],
  },
  snapshotIdleTimeoutMs: {
    flag: 'snapshot-idle-timeout-ms',
    placeholder: '<ms>',
    env: ['BOOKS_SNAPSHOT_IDLE_TIMEOUT_MS'],
    default: '30000',
    parse: integer(100, 3_600_000),
    help:
      'an `include_existing` snapshot whose client reads nothing for this long is ended with `UNAVAILABLE`, ' +
      'releasing its database transaction and connection',
    stores: ['sqlite', 'postgres'],
  },
  feedPollMs: {
    flag: 'feed-poll-ms',
    placeholder: '<ms>',
    env: ['BOOKS_FEED_POLL_MS'],
    default: '1000',
    parse: integer(50, 3_600_000),
    help:
      'the change log is also read this often, so that a lost wake-up (a dead notification connection) ' +
      'delays changes by at most this',
  },
  host: {
    flag: 'host',
    placeholder: '<host>',
    env: ['BOOKS_HOST'],
    default: '0.0.0.0',
    parse: nonEmptyText,
    help: 'interface to listen on',
  },
  port: {
    flag: 'port',
    placeholder: '<port>',
    env: ['BOOKS_PORT', 'PORT'],
    default: '50051',
    parse: integer(0, 65_535),
    help: 'port (0 picks a free one)',
  },
  logLevel: {
    flag: 'log-level',
    placeholder: '<level>',
    env: ['BOOKS_LOG_LEVEL'],
    default: 'info',
    parse: oneOf(LOG_LEVELS),
    help: '`debug` (a line per call), `info`, `warn`, `error`, `silent`',
  },
  watchQueueSize: {
    flag: 'watch-queue-size',
    placeholder: '<n>',
    env: ['BOOKS_WATCH_QUEUE_SIZE'],
    default: '1024',
    parse: integer(1, 1_000_000),
    help:
      'changes a watcher may fall behind before its watch ends with `RESOURCE_EXHAUSTED`; any value works: ' +
      'the changes of one commit or read (up to 512) always fit an empty queue',
  },
  changesRetention: {
    flag: 'changes-retention',
    placeholder: '<n>',
    env: ['BOOKS_CHANGES_RETENTION'],
    default: '100000',
    parse: integer(1, 1_000_000_000),
    help: 'changes the log keeps at least (older ones are trimmed every few seconds); an older cursor gets `OUT_OF_RANGE`',
  },
  changesHeartbeatMs: {
    flag: 'changes-heartbeat-ms',
    placeholder: '<ms>',
    env: ['BOOKS_CHANGES_HEARTBEAT_MS'],
    default: '15000',
    parse: integer(100, 3_600_000),
    help: 'an idle `WatchChanges` stream is sent an empty response with the current cursor this often',
  },
  shutdownTimeoutMs: {
    flag: 'shutdown-timeout-ms',
    placeholder: '<ms>',
    env: ['BOOKS_SHUTDOWN_TIMEOUT_MS'],
    default: '5000',
    parse: integer(0, 600_000),
    help: 'how long shutdown waits for in-flight calls before cancelling them',
  },
  drainDelayMs: {
    flag: 'drain-delay-ms',
    placeholder: '<ms>',
    env: ['BOOKS_DRAIN_DELAY_MS'],
    default: '0',
    parse: integer(0, 600_000),
    help:
      'time spent reporting `NOT_SERVING`, still serving, before shutdown stops accepting ' +
      '(so load balancers move traffic away first)',
  },
  maxWatchers: {
    flag: 'max-watchers',
    placeholder: '<n>',
    env: ['BOOKS_MAX_WATCHERS'],
    default: '20000',
    parse: integer(1, 10_000_000),
    help: 'open watches at once; one more is `RESOURCE_EXHAUSTED`',
  },
  maxRequestBytes: {
    flag: 'max-request-bytes',
    placeholder: '<n>',
    env: ['BOOKS_MAX_REQUEST_BYTES'],
    default: '16384',
    parse: integer(1024, 64 * 1024 * 1024),
    help: 'largest request message; larger is `RESOURCE_EXHAUSTED` (a book is at most about 2 KiB)',
  },
  keepaliveMs: {
    flag: 'keepalive-ms',
    placeholder: '<ms>',
    env: ['BOOKS_KEEPALIVE_MS'],
    default: '30000',
    parse: integer(1000, 86_400_000),
    help:
      'keepalive ping interval: a client that vanished without closing (pulled cable, half-open TCP) ' +
      'is dropped, and its watches freed, within this plus 10 s',
  },
  tlsCertFile: {
    flag: 'tls-cert',
    placeholder: '<file>',
    env: ['BOOKS_TLS_CERT'],
    default: '',
    parse: optional(nonEmptyText),
    help: 'PEM certificate chain: with `--tls-key`, the server speaks TLS only',
  },
  tlsKeyFile: {
    flag: 'tls-key',
    placeholder: '<file>',
    env: ['BOOKS_TLS_KEY'],
    default: '',
    parse: optional(nonEmptyText),
    help: 'PEM private key of `--tls-cert`',
  },
  tokenFile: {
    flag: 'token-file',
    placeholder: '<file>',
    env: ['BOOKS_TOKEN_FILE'],
    default: '',
    parse: optional(nonEmptyText),
    help: 'file holding the token: with a token, `Insert` and `Delete` need `authorization: Bearer <token>`',
  },
  token: {
    env: ['BOOKS_TOKEN'],
    default: '',
    parse: optional(bearerToken),
    help: 'the token itself, when there is no token file (never a flag: it would show in `ps`)',
    secret: 'value',
  },
  authReads: {
    flag: 'auth-reads',
    env: ['BOOKS_AUTH_READS'],
    default: 'false',
    defaultText: 'off',
    parse: trueOrFalse,
    help: 'reads need the token too (health and reflection stay open)',
  },
  webPort: {
    flag: 'web-port',
    placeholder: '<port>',
    env: ['BOOKS_WEB_PORT'],
    default: '8080',
    parse: integer(0, 65_535),
    help:
      '`books.BookService` over gRPC-Web and the Connect protocol (JSON or binary) on HTTP/1.1 ' +
      '(HTTPS with `--tls-cert`, as the gRPC port), for web pages, `curl` and `fetch`; `0` turns it off',
  },
  webOrigins: {
    flag: 'web-origins',
    placeholder: '<origins>',
    env: ['BOOKS_WEB_ORIGINS'],
    default: '',
    defaultText: 'none',
    parse: originList,
    help:
      'origins whose pages may call the web port (CORS), separated by commas, e.g. ' +
      '`https://books.example.com,http://localhost:5173`; `*` for any',
  },
  metricsPort: {
    flag: 'metrics-port',
    placeholder: '<port>',
    env: ['BOOKS_METRICS_PORT'],
    default: '',
    parse: optional(integer(0, 65_535)),
    help: 'Prometheus metrics at `http://<host>:<port>/metrics`',
  },
} as const satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;

/** Each setting's value, typed by its parser. */
export type Settings = {readonly [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']>};

/** How a person names a setting: its flag, else its environment variable. */
export function settingName(setting: Setting<unknown>): string {
  return setting.flag === undefined ? setting.env.join(' or ') : `--${setting.flag}`;
}

/** A switch's flag takes no value: given, it means true. */
export function isSwitch(setting: Setting<unknown>): boolean {
  return setting.flag !== undefined && setting.placeholder === undefined;
}
