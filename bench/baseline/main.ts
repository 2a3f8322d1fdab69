#!/usr/bin/env node
import {parseArgs} from 'node:util';
import {Server, ServerCredentials} from '@grpc/grpc-js';
import {SEED_BOOKS} from '../../src/domain/seed-books.js';
import {BOOK_METHODS} from '../wire/book-methods.js';
import {createBaselineService} from './service.js';

// The baseline as a process, started and read like the product server:
// same flags, and the same JSON "listening" line on stdout.

const {values} = parseArgs({
  options: {
    host: {type: 'string', default: '127.0.0.1'},
    port: {type: 'string', default: '0'},
    // Accepted so that both servers take the same command line; it logs nothing per call anyway.
    'log-level': {type: 'string'},
  },
});
const server = new Server();
server.addService(BOOK_METHODS, createBaselineService(SEED_BOOKS));

const host = values.host!;
server.bindAsync(`${host}:${values.port!}`, ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) {
    process.stderr.write(`baseline: cannot listen: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({level: 'info', msg: 'listening', address: `${host}:${port}`})}\n`);
});

const stop = (): void => {
  server.forceShutdown();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
