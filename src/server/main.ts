#!/usr/bin/env node
import {Catalogue} from '../domain/catalogue.js';
import {MemoryStore} from '../domain/memory-store.js';
import {SEED_BOOKS} from '../domain/seed-books.js';
import {WatchHub} from '../domain/watch-hub.js';
import type {Book} from '../domain/book.js';
import {CONFIG_USAGE, loadConfig, type Config} from './config.js';
import {createLogger} from './logger.js';
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
logger.info('starting', {config});

const store = new MemoryStore(SEED_BOOKS);
const catalogue = new Catalogue(store, new WatchHub<Book>(config.watchQueueSize));
const server = createBooksServer({catalogue, logger, shutdownTimeoutMs: config.shutdownTimeoutMs});

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn('second signal; exiting now', {signal});
    process.exit(1);
  }
  stopping = true;
  logger.info('stopping', {signal});
  await server.shutdown();
  await store.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));

try {
  const port = await server.listen(config.host, config.port);
  logger.info('listening', {address: `${config.host}:${port}`});
} catch (error: unknown) {
  logger.error('cannot listen', {host: config.host, port: config.port, error: String(error)});
  process.exit(1);
}
