#!/usr/bin/env node
import {readFileSync} from 'node:fs';
import type {BookStore} from '../domain/book-store.js';
import {Catalogue} from '../domain/catalogue.js';
import {retainChanges} from '../domain/change-retention.js';
import {CONFIG_USAGE, describeConfig, loadConfig, type Config} from './config.js';
import {createLogger} from './logger.js';
import {openStore} from './open-store.js';
import {createBooksServer} from './server.js';

function readConfig(): Config {
  try {
    const {help, ...config} = loadConfig(process.argv.slice(2), process.env);
    if (help) {
      process.stdout.write(CONFIG_USAGE);
      process.exit(0);
    }
    return config;
  } catch (error: unknown) {
    process.stderr.write(`books-server: ${error instanceof Error ? error.message : String(error)}\n\n${CONFIG_USAGE}`);
    process.exit(2);
  }
}

const config = readConfig();
const logger = createLogger(config.logLevel);
logger.info('starting', {config: describeConfig(config)});

let store: BookStore;
try {
  store = await openStore(config, logger);
} catch (error: unknown) {
  logger.error('cannot open the book store', {store: config.store, error: String(error)});
  process.exit(1);
}
const catalogue = await Catalogue.open(store, {
  watchQueueSize: config.watchQueueSize,
  maxWatchers: config.maxWatchers,
  onFeedError: (error) => logger.warn('cannot read the change log; trying again', {error: String(error)}),
});
const stopRetaining = retainChanges(store, config.changesRetention, (error) =>
  logger.warn('cannot trim the change log', {error: String(error)}),
);
// Loaded only when asked for: prom-client adds to start-up.
const metrics =
  config.metricsPort === undefined ? undefined : (await import('./metrics.js')).createMetrics(catalogue.hub);
const server = createBooksServer({
  catalogue,
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  drainDelayMs: config.drainDelayMs,
  maxRequestBytes: config.maxRequestBytes,
  keepaliveMs: config.keepaliveMs,
  tls: readTls(config),
  token: config.token,
  authReads: config.authReads,
  metrics,
  changesHeartbeatMs: config.changesHeartbeatMs,
});

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
  stopRetaining();
  catalogue.feed.close();
  await store.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));

try {
  const port = await server.listen(config.host, config.port);
  const metricsPort = config.metricsPort === undefined ? undefined : await metrics?.listen(config.host, config.metricsPort);
  logger.info('listening', {
    address: `${config.host}:${port}`,
    tls: config.tlsCertFile !== undefined,
    ...(metricsPort === undefined ? {} : {metrics: `http://${config.host}:${metricsPort}/metrics`}),
  });
} catch (error: unknown) {
  logger.error('cannot listen', {host: config.host, port: config.port, error: String(error)});
  await store.close();
  process.exit(1);
}
