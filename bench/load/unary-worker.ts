#!/usr/bin/env node
import type {Client} from '@grpc/grpc-js';
import {performance} from 'node:perf_hooks';
import {LatencyHistogram} from '../histogram.js';
import type {UnaryLoadParams, UnaryLoadResult, UnaryMethod} from '../messages.js';
import {BOOK_METHODS} from '../wire/book-methods.js';
import {connectClient, unaryCall} from '../wire/grpc-client.js';
import {benchBook, GET_ID} from '../bench-books.js';

// A unary load process: `concurrency` callers in closed loops (each sends
// its next call when the previous answers) spread round-robin over
// `connections` HTTP/2 connections, for warm-up plus the measured window.
// It talks plain @grpc/grpc-js so that both servers face the same, lean client.

const params = JSON.parse(process.argv[2]!) as UnaryLoadParams;

const clients = await Promise.all(Array.from({length: params.connections}, () => connectClient(params.address)));

const call = callerFor(params.method);
const histogram = new LatencyHistogram();
let completed = 0;
let errors = 0;
let firstError: string | undefined;
let turn = 0;

const measureFrom = performance.now() + params.warmupMs;
const measureUntil = measureFrom + params.durationMs;
let cpuAtStart: NodeJS.CpuUsage | undefined;
const cpuTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), params.warmupMs);

async function caller(): Promise<void> {
  while (performance.now() < measureUntil) {
    const client = clients[turn++ % clients.length]!;
    const started = performance.now();
    try {
      await call(client);
    } catch (error: unknown) {
      errors++;
      firstError ??= String(error);
    }
    const ended = performance.now();
    if (ended >= measureFrom && ended <= measureUntil) {
      completed++;
      histogram.record(ended - started);
    }
  }
}

await Promise.all(Array.from({length: params.concurrency}, caller));
clearTimeout(cpuTimer);
const cpu = process.cpuUsage(cpuAtStart);
for (const client of clients) client.close();

const result: UnaryLoadResult = {
  type: 'unary-result',
  completed,
  seconds: params.durationMs / 1000,
  errors,
  ...(firstError === undefined ? {} : {firstError}),
  latency: histogram.toData(),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
};
process.send!(result, () => process.exit(0));

function callerFor(method: UnaryMethod): (client: Client) => Promise<unknown> {
  switch (method) {
    case 'get':
      return (client) => unaryCall(client, BOOK_METHODS.get, {id: GET_ID});
    case 'list':
      return (client) => unaryCall(client, BOOK_METHODS.list, {});
    case 'insert': {
      let nextId = params.firstId;
      return (client) => unaryCall(client, BOOK_METHODS.insert, benchBook(nextId++));
    }
  }
}
