import assert from 'node:assert/strict';
import type {ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test, type TestContext} from 'node:test';
import {
  CONFIG_REDACTION,
  ConfigError,
  describeConfig,
  loadConfig,
  type Config,
  type Env,
} from '../src/server/config.js';
import {createLogger} from '../src/server/logger.js';
import {SERVER_HELP, settingsTable, withSettingsTable} from '../src/server/settings-docs.js';
import {isSwitch, SETTINGS, type SettingName} from '../src/server/settings.js';
import {runServerProcess} from './helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'books-config-'));
const tokenFile = join(dir, 'token');
const otherTokenFile = join(dir, 'other-token');
writeFileSync(tokenFile, 'from-the-file\n');
writeFileSync(otherTokenFile, 'from-the-other-file\n');
after(() => rmSync(dir, {recursive: true, force: true}));

/**
 * Two valid texts for each setting, neither its default. Each new setting
 * needs its line here: the precedence test runs over all of them.
 */
const SAMPLES: Record<SettingName, readonly [string, string]> = {
  store: ['memory', 'sqlite'],
  sqlitePath: ['a.db', 'b.db'],
  databaseUrl: ['postgres://u@one/books', 'postgresql://u@two/books'],
  databaseSchema: ['one', 'two_2'],
  databaseMaxConnections: ['3', '100'],
  snapshotIdleTimeoutMs: ['100', '60000'],
  feedPollMs: ['50', '5000'],
  host: ['127.0.0.1', '::1'],
  port: ['1', '65535'],
  logLevel: ['debug', 'silent'],
  watchQueueSize: ['1', '1000000'],
  changesRetention: ['1', '5000'],
  changesHeartbeatMs: ['100', '60000'],
  shutdownTimeoutMs: ['0', '600000'],
  drainDelayMs: ['1', '600000'],
  maxWatchers: ['1', '10000000'],
  maxRequestBytes: ['1024', '67108864'],
  keepaliveMs: ['1000', '86400000'],
  tlsCertFile: ['a.pem', 'b.pem'],
  tlsKeyFile: ['a.key', 'b.key'],
  tokenFile: [tokenFile, otherTokenFile],
  token: ['one', 'two'],
  authReads: ['true', 'false'],
  webPort: ['0', '8081'],
  webOrigins: ['https://books.example.com', 'http://localhost:5173,*'],
  metricsPort: ['0', '9464'],
};

/** What a setting cannot be given alone. */
const COMPANIONS: Partial<Record<SettingName, readonly string[]>> = {
  tlsCertFile: ['--tls-key', 'k.pem'],
  tlsKeyFile: ['--tls-cert', 'c.pem'],
};

const NAMES = Object.keys(SETTINGS) as SettingName[];

function load(argv: readonly string[], env: Env = {}) {
  const {help, ...config} = loadConfig(argv, env);
  assert.equal(help, false);
  return config;
}

function configError(argv: readonly string[], env: Env = {}): string {
  try {
    loadConfig(argv, env);
  } catch (error: unknown) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`expected a ConfigError from ${JSON.stringify({argv, env})}`);
}

describe('server settings: flag, then environment, then default', () => {
  test('with nothing given, every setting has its default', () => {
    assert.deepEqual(load([]), {
      store: 'sqlite',
      sqlitePath: 'data/books.db',
      databaseUrl: undefined,
      databaseSchema: 'public',
      databaseMaxConnections: 10,
      snapshotIdleTimeoutMs: 30_000,
      feedPollMs: 1000,
      host: '0.0.0.0',
      port: 50051,
      logLevel: 'info',
      watchQueueSize: 1024,
      changesRetention: 100_000,
      changesHeartbeatMs: 15_000,
      shutdownTimeoutMs: 5000,
      drainDelayMs: 0,
      maxWatchers: 20000,
      maxRequestBytes: 16384,
      keepaliveMs: 30000,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      tokenFile: undefined,
      token: undefined,
      authReads: false,
      webPort: 8080,
      webOrigins: [],
      metricsPort: undefined,
    });
  });

  for (const key of NAMES) {
    const setting = SETTINGS[key];
    const [first, second] = SAMPLES[key];
    const companions = COMPANIONS[key] ?? [];
    const value = (text: string): unknown => setting.parse(text);
    const read = (argv: readonly string[], env: Env): unknown => {
      const config = load([...companions, ...argv], env);
      // A token file's setting is its path; the token read from it is the token's.
      return key === 'tokenFile' ? [config.tokenFile, config.token] : config[key];
    };
    const expected = (text: string): unknown =>
      key === 'tokenFile' ? [text, readFileSync(text, 'utf8').trim()] : value(text);

    test(`${key}: the flag wins over the environment, which wins over the default`, () => {
      const [env, ...otherEnv] = setting.env;
      assert.ok(env !== undefined);
      assert.deepEqual(read([], {[env]: first}), expected(first));
      if ('flag' in setting && isSwitch(setting)) {
        assert.equal(read([`--${setting.flag}`], {[env]: 'false'}), true);
      } else if ('flag' in setting) {
        assert.deepEqual(read([`--${setting.flag}`, second], {[env]: first}), expected(second));
        assert.deepEqual(read([`--${setting.flag}=${second}`], {}), expected(second));
      }
      for (const later of otherEnv) {
        assert.deepEqual(read([], {[env]: first, [later]: second}), expected(first), `${env} wins over ${later}`);
        assert.deepEqual(read([], {[later]: second}), expected(second));
      }
      // Compose files often pass a variable through as "": that is unset.
      const outcome = (variables: Env): unknown => {
        try {
          return read([], variables);
        } catch (error: unknown) {
          return error;
        }
      };
      assert.deepEqual(outcome({[env]: ''}), outcome({}));
    });
  }

  test('a flag given as "" means none for a setting that may be none, overriding the environment', () => {
    assert.equal(load(['--metrics-port='], {BOOKS_METRICS_PORT: '9464'}).metricsPort, undefined);
    assert.equal(load(['--database-url='], {DATABASE_URL: 'postgres://u@h/db'}).store, 'sqlite');
  });

  test('the token comes from --token-file, else BOOKS_TOKEN_FILE, else BOOKS_TOKEN, without surrounding white space', () => {
    const env = {BOOKS_TOKEN_FILE: otherTokenFile, BOOKS_TOKEN: 'from-the-variable'};
    assert.equal(load(['--token-file', tokenFile], env).token, 'from-the-file');
    assert.equal(load([], env).token, 'from-the-other-file');
    assert.equal(load([], {BOOKS_TOKEN: '  from-the-variable\n'}).token, 'from-the-variable');
  });

  test('-h and --help ask for help', () => {
    assert.equal(loadConfig(['-h'], {}).help, true);
    assert.equal(loadConfig(['--port', '1', '--help'], {}).help, true);
  });
});

describe('server settings: the store follows the database URL', () => {
  test('a database URL means PostgreSQL, none means SQLite, and --store wins over both', () => {
    assert.equal(load([], {DATABASE_URL: 'postgres://books@db:5432/books'}).store, 'postgres');
    assert.equal(load(['--database-url', 'postgresql://books@db/books']).store, 'postgres');
    assert.equal(load([]).store, 'sqlite');
    assert.equal(load([], {DATABASE_URL: ''}).store, 'sqlite');
    assert.equal(load(['--store', 'memory'], {DATABASE_URL: 'postgres://books@db/books'}).store, 'memory');
    assert.equal(load([], {BOOKS_STORE: 'sqlite', DATABASE_URL: 'postgres://books@db/books'}).store, 'sqlite');
  });

  test('the postgres store without a database URL is a usage error', () => {
    assert.equal(
      configError(['--store', 'postgres']),
      'the postgres store (--store) needs --database-url or DATABASE_URL',
    );
    assert.equal(
      configError([], {BOOKS_STORE: 'postgres'}),
      'the postgres store (BOOKS_STORE) needs --database-url or DATABASE_URL',
    );
  });
});

describe('server settings: each mistake is one line naming the flag or variable', () => {
  const cases: [string, readonly string[], Env, string][] = [
    ['an integer out of range', ['--port', '65536'], {}, '--port must be an integer from 0 to 65535, got "65536"'],
    [
      'a negative integer',
      ['--watch-queue-size=-1'],
      {},
      '--watch-queue-size must be an integer from 1 to 1000000, got "-1"',
    ],
    ['not an integer', [], {BOOKS_PORT: '50051.5'}, 'BOOKS_PORT must be an integer from 0 to 65535, got "50051.5"'],
    ['the second variable', [], {PORT: 'http'}, 'PORT must be an integer from 0 to 65535, got "http"'],
    [
      'below the minimum',
      [],
      {BOOKS_KEEPALIVE_MS: '999'},
      'BOOKS_KEEPALIVE_MS must be an integer from 1000 to 86400000, got "999"',
    ],
    [
      'a heartbeat too frequent',
      ['--changes-heartbeat-ms', '99'],
      {},
      '--changes-heartbeat-ms must be an integer from 100 to 3600000, got "99"',
    ],
    ['an optional integer', ['--metrics-port', 'x'], {}, '--metrics-port must be an integer from 0 to 65535, got "x"'],
    ['not one of a list', ['--store', 'disk'], {}, '--store must be one of sqlite, memory, postgres, got "disk"'],
    [
      'a log level',
      [],
      {BOOKS_LOG_LEVEL: 'loud'},
      'BOOKS_LOG_LEVEL must be one of debug, info, warn, error, silent, got "loud"',
    ],
    ['an empty text', ['--host', ''], {}, '--host must not be empty, got ""'],
    [
      'a schema that is not a plain SQL name',
      ['--database-schema', 'Books;drop'],
      {},
      '--database-schema must be a lower-case SQL name (a-z, 0-9, _; at most 40 characters), got "Books;drop"',
    ],
    [
      'a switch that is not true or false',
      [],
      {BOOKS_AUTH_READS: 'yes'},
      'BOOKS_AUTH_READS must be true or false, got "yes"',
    ],
    [
      'a database URL that is not a URL',
      ['--database-url', 'books'],
      {},
      '--database-url must be a URL such as postgres://user:password@host:5432/books',
    ],
    [
      'a database URL of another kind',
      [],
      {DATABASE_URL: 'mysql://u:pw@h/db'},
      'DATABASE_URL must be a postgres:// URL, not mysql://',
    ],
    ['a blank token', [], {BOOKS_TOKEN: ' \n'}, 'BOOKS_TOKEN is empty'],
    ['an unknown option', ['--prot', '50052'], {}, 'unknown option --prot (did you mean --port?)'],
    ['an unknown option like none', ['--colour'], {}, 'unknown option --colour'],
    ['an unknown short option', ['-p', '1'], {}, 'unknown option -p'],
    ['a missing value', ['--port'], {}, '--port needs a value: --port <port>'],
    ['a flag where a value belongs', ['--port', '--host', 'x'], {}, '--port needs a value: --port <port>'],
    ['a value given to a switch', ['--auth-reads=yes'], {}, '--auth-reads takes no value'],
    ['an argument', ['50051'], {}, 'unexpected argument "50051"'],
    ['half of TLS', ['--tls-cert', 'c.pem'], {}, 'TLS needs both --tls-cert and --tls-key'],
  ];
  for (const [what, argv, env, message] of cases) {
    test(what, () => assert.equal(configError(argv, env), message));
  }

  test('an unreadable or empty token file', () => {
    assert.match(
      configError(['--token-file', join(dir, 'nope')]),
      /^cannot read the token file \(--token-file\): ENOENT/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    assert.equal(configError([], {BOOKS_TOKEN_FILE: empty}), 'the token file (BOOKS_TOKEN_FILE) is empty');
  });

  test('every default is valid', () => {
    for (const key of NAMES) assert.doesNotThrow(() => SETTINGS[key].parse(SETTINGS[key].default), key);
  });
});

describe('server settings: secrets stay out of what is printed', () => {
  const password = 'pa55-word';
  const token = 't0ken-value';

  /** The start-up line as the server logs it: its configuration, through the logger that masks secrets. */
  function printed(config: Config): {line: string; config: Record<string, unknown>} {
    let line = '';
    const logger = createLogger('info', {destination: {write: (text) => (line += text)}, redact: CONFIG_REDACTION});
    logger.info('starting', {config: describeConfig(config)});
    return {line, config: (JSON.parse(line) as {config: Record<string, unknown>}).config};
  }

  test('the printed configuration says only that a token is set, and masks the database password', () => {
    for (const config of [
      load([], {BOOKS_TOKEN: token, DATABASE_URL: `postgres://books:${password}@db:5432/books`}),
      load(['--token-file', tokenFile, '--database-url', `postgres://books:${password}@db/books`]),
    ]) {
      const {line, config: described} = printed(config);
      assert.ok(!line.includes(password), line);
      assert.ok(!line.includes(token) && !line.includes('from-the-file'), line);
      assert.equal(described['token'], 'set');
      assert.match(String(described['databaseUrl']), /^postgres:\/\/books:\*\*\*@db(:5432)?\/books$/);
    }
    assert.equal(printed(load([]))['config']['token'], 'none');
    const withoutPassword = printed(load(['--database-url', 'postgres://books@db/books']));
    assert.equal(withoutPassword.config['databaseUrl'], 'postgres://books@db/books');
  });

  test('a mistake in a secret setting does not repeat its value', () => {
    for (const message of [
      configError([], {DATABASE_URL: `postgres//books:${password}@db/books`}),
      configError([], {DATABASE_URL: `mysql://books:${password}@db/books`}),
    ]) {
      assert.ok(!message.includes(password), message);
    }
  });
});

describe('server settings: the start-up line', () => {
  const storeSettings = [
    'sqlitePath',
    'databaseUrl',
    'databaseSchema',
    'databaseMaxConnections',
    'snapshotIdleTimeoutMs',
  ];
  const shown = (argv: readonly string[]): string[] =>
    Object.keys(describeConfig(load(argv))).filter((key) => storeSettings.includes(key));

  test('shows only the settings that apply to the chosen store', () => {
    assert.deepEqual(shown(['--store', 'memory']), []);
    assert.deepEqual(shown([]), ['sqlitePath', 'snapshotIdleTimeoutMs']);
    assert.deepEqual(shown(['--database-url', 'postgres://books@db/books']), [
      'databaseUrl',
      'databaseSchema',
      'databaseMaxConnections',
      'snapshotIdleTimeoutMs',
    ]);
    // Every other setting shows whatever the store.
    assert.equal(describeConfig(load(['--store', 'memory']))['feedPollMs'], 1000);
  });
});

describe('server settings: --help and the README come from the declarations', () => {
  test('--help names every flag, variable and default, within 80 columns', () => {
    for (const setting of Object.values(SETTINGS)) {
      if ('flag' in setting) assert.ok(SERVER_HELP.includes(`--${setting.flag}`), setting.flag);
      for (const name of setting.env) assert.ok(SERVER_HELP.includes(name), name);
    }
    assert.match(SERVER_HELP, /^Usage: books server \[options\]\n/);
    assert.match(SERVER_HELP, /--port <port> +port \(0 picks a free one\)\n +env BOOKS_PORT, PORT; default 50051\n/);
    for (const line of SERVER_HELP.split('\n')) assert.ok(line.length <= 80, line);
  });

  test("the README's table is the one the declarations write (run `pnpm docs:settings` to update it)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes(settingsTable()), 'README.md differs from the settings: run `pnpm docs:settings`');
    assert.equal(withSettingsTable(readme), readme);
    assert.match(
      settingsTable(),
      /\n\| `--port` \| `BOOKS_PORT`, `PORT` \| `50051` \| port \(0 picks a free one\) \|\n/,
    );
  });
});

// Two suites, each well within the test timeout where starting a process takes seconds.
const children: ChildProcess[] = [];
const started = (child: ChildProcess): void => void children.push(child);
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('the server process: usage mistakes and help', () => {
  test('a usage mistake prints one line and where help is, and exits 2', async () => {
    const result = await runServerProcess(['--prot', '50052'], started);
    assert.deepEqual(result, {
      code: 2,
      signal: null,
      stdout: '',
      stderr: "books: unknown option --prot (did you mean --port?)\nRun 'books server --help' for usage.\n",
    });
    const env = await runServerProcess(['--store', 'memory'], started, {BOOKS_TOKEN_FILE: join(dir, 'nope')});
    assert.equal(env.code, 2);
    assert.match(
      env.stderr,
      /^books: cannot read the token file \(BOOKS_TOKEN_FILE\): ENOENT[^\n]*\nRun 'books server --help' for usage\.\n$/,
    );
  });

  test('--help prints the help on stdout and exits 0', async () => {
    const result = await runServerProcess(['--help'], started);
    assert.deepEqual(result, {code: 0, signal: null, stdout: SERVER_HELP, stderr: ''});
  });
});

describe('the server process: ports in use', () => {
  /** A port some other program holds, for as long as the test runs. */
  async function heldPort(t: TestContext): Promise<number> {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    t.after(() => holder.close());
    return (holder.address() as AddressInfo).port;
  }

  test('a port already in use is one line naming --port, and exit status 1', async (t) => {
    const port = await heldPort(t);
    const result = await runServerProcess(
      ['--store', 'memory', '--host', '127.0.0.1', '--port', String(port)],
      started,
    );
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `books: port ${port} is already in use (--port)\n`);
    // Nothing else: no grpc-js warning, no log line repeating it.
    const logged = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      logged.map((line) => line['msg']),
      ['starting'],
    );
  });

  for (const flag of ['--web-port', '--metrics-port']) {
    test(`a ${flag.slice(2).replace('-', ' ')} already in use names ${flag}`, async (t) => {
      const port = await heldPort(t);
      const args = ['--store', 'memory', '--host', '127.0.0.1', '--port', '0', '--web-port', '0', flag, String(port)];
      const result = await runServerProcess(args, started);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `books: port ${port} is already in use (${flag})\n`);
      assert.deepEqual(
        result.stdout
          .trimEnd()
          .split('\n')
          .map((line) => (JSON.parse(line) as Record<string, unknown>)['msg']),
        ['starting'],
      );
    });
  }
});
