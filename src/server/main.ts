#!/usr/bin/env node
import {readFileSync} from 'node:fs';
import {format} from 'node:util';
import {setLogger} from '@grpc/grpc-js';
import type {BookStore} from '../domain/book-store.js';
import {Catalogue} from '../domain/catalogue.js';
import {CONFIG_REDACTION, ConfigError, describeConfig, loadConfig, type Config} from './config.js';
import {explainListenFailure} from './listen-failure.js';
import {createLogger} from './logger.js';
import {openStore} from './open-store.js';
import type {Metrics} from './metrics.js';
import {createBooksServer} from './server.js';
import {SERVER_HELP} from './settings-docs.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function readConfig(): Config {
  try {
    const {help, ...config} = loadConfig(process.argv.slice(2), process.env);
    if (help) {
      process.stdout.write(SERVER_HELP);
      process.exit(0);
    }
    return config;
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    // The one line that says what is wrong, not buried under the help.
    fail(EXIT_USAGE, `${error.message}\nRun 'books server --help' for usage.`);
  }
}

function fail(status: number, message: string): never {
  process.stderr.write(`books: ${message}\n`);
  process.exit(status);
}

const config = readConfig();
const logger = createLogger(config.logLevel, {redact: CONFIG_REDACTION});
/** While a listen is under way, grpc-js's lines wait here: if it fails, our one line says why instead. */
let heldGrpcLines: (() => void)[] | undefined;
function grpcLog(level: 'warn' | 'info' | 'debug'): (...args: unknown[]) => void {
  return (...args) => {
    const write = (): void => logger[level]('grpc-js', {message: format(...args)});
    if (heldGrpcLines === undefined) write();
    else heldGrpcLines.push(write);
  };
}
// grpc-js writes its own errors on stderr ("E No address added ..."); here they are log lines like any other.
setLogger({error: grpcLog('warn'), info: grpcLog('info'), debug: grpcLog('debug')});
logger.info('starting', {config: describeConfig(config)});

let store: BookStore;
try {
  store = await openStore(config, logger);
} catch (error: unknown) {
  logger.error('cannot open the book store', {store: config.store, error: String(error)});
  process.exit(1);
}
let metrics: Metrics | undefined;
const catalogue = await Catalogue.open(store, {
  watchQueueSize: config.watchQueueSize,
  maxWatchers: config.maxWatchers,
  onFeedError: (error) => logger.warn('cannot read the change log; trying again', {error: String(error)}),
  onMissedWakeUps(missing) {
    metrics?.setWakeUpsMissing(missing);
    if (missing) {
      logger.warn('change wake-ups are being lost; watchers get changes from the periodic read of the log', {
        feedPollMs: config.feedPollMs,
      });
    } else {
      logger.info('change wake-ups arrive again');
    }
  },
});
// Loaded only when asked for: prom-client adds to start-up.
metrics = config.metricsPort === undefined ? undefined : (await import('./metrics.js')).createMetrics(catalogue.hub);
const tls = readTls(config);
const server = createBooksServer(config, {catalogue, logger, tls, metrics});

function readTls({tlsCertFile, tlsKeyFile}: Config): {cert: Buffer; key: Buffer} | undefined {
  if (tlsCertFile === undefined || tlsKeyFile === undefined) return undefined;
  try {
    return {cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile)};
  } catch (error: unknown) {
    logger.error('cannot read the TLS certificate or key', {error: String(error)});
    process.exit(1);
  }
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn('second signal; exiting now', {signal});
    process.exit(1);
  }
  stopping = true;
  logger.info('stopping', {signal});
  await server.shutdown();
  await metrics?.close();
  catalogue.close();
  await store.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));

/** Listens, or exits 1 saying why in one line that names the setting to change, and nothing else. */
async function listenOrExit(flag: string, port: number, listen: () => Promise<number>): Promise<number> {
  const held: (() => void)[] = [];
  heldGrpcLines = held;
  try {
    const bound = await listen();
    heldGrpcLines = undefined;
    for (const write of held) write();
    return bound;
  } catch (error: unknown) {
    heldGrpcLines = undefined;
    const reason = await explainListenFailure(config.host, port, flag);
    logger.debug('cannot listen', {host: config.host, port, error: String(error)});
    await store.close();
    fail(EXIT_FAILED, reason ?? `cannot listen on ${config.host}:${port} (${flag}): ${String(error)}`);
  }
}

const port = await listenOrExit('--port', config.port, () => server.listen(config.host, config.port));
const wantedMetricsPort = config.metricsPort;
const metricsPort =
  metrics === undefined || wantedMetricsPort === undefined
    ? undefined
    : await listenOrExit('--metrics-port', wantedMetricsPort, () => metrics.listen(config.host, wantedMetricsPort));
const webPort =
  config.webPort === 0
    ? undefined
    : await listenOrExit('--web-port', config.webPort, () => server.listenWeb(config.host, config.webPort));
logger.info('listening', {
  address: `${config.host}:${port}`,
  ...(webPort === undefined ? {} : {web: `${tls === undefined ? 'http' : 'https'}://${config.host}:${webPort}`}),
  tls: config.tlsCertFile !== undefined,
  ...(metricsPort === undefined ? {} : {metrics: `http://${config.host}:${metricsPort}/metrics`}),
});
