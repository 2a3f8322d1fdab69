#!/usr/bin/env node
import {performance} from 'node:perf_hooks';
import {Book, BookIdRequest, BookList, Empty} from '../../src/gen/books/books.js';
import {benchBook, GET_ID} from '../bench-books.js';
import {LatencyHistogram} from '../histogram.js';
import type {UnaryLoadParams, UnaryLoadResult, UnaryMethod} from '../messages.js';
import {connectUnaryCall, keepAliveAgent} from './connect-unary.js';
import {http2UnaryCall} from './http2-unary.js';
import {openSession} from './http2-session.js';

// A unary load process: `concurrency` callers in closed loops (each sends
// its next call when the previous answers) spread round-robin over
// `connections` HTTP/2 connections, for warm-up plus the measured window.
// Requests are encoded and responses decoded with the generated codecs, as
// any client would; the transport is plain node:http2 (see http2-unary.ts),
// or for a web port node:http in the Connect protocol (connect-unary.ts).

const params = JSON.parse(process.argv[2] ?? '') as UnaryLoadParams;
process.on('disconnect', () => process.exit(1));

/** Sends one encoded request to a method's path and resolves with the encoded response. */
type Transport = {send(path: string, request: Uint8Array): Promise<Uint8Array>; close(): void};

const transport = await openTransport();
const call = callerFor(params.method);
const histogram = new LatencyHistogram();
let completed = 0;
let errors = 0;
let firstError: string | undefined;

const measureFrom = performance.now() + params.warmupMs;
const measureUntil = measureFrom + params.durationMs;
let cpuAtStart: NodeJS.CpuUsage | undefined;
const cpuTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), params.warmupMs);

async function caller(): Promise<void> {
  while (performance.now() < measureUntil) {
    const started = performance.now();
    try {
      await call();
    } catch (error: unknown) {
      // A failed call is no throughput; any failure fails the run.
      errors++;
      firstError ??= String(error);
      continue;
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
transport.close();

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

async function openTransport(): Promise<Transport> {
  if (params.protocol === 'connect') {
    const agent = keepAliveAgent(params.concurrency);
    return {
      send: (path, request) => connectUnaryCall(agent, params.address, path, request),
      close: () => agent.destroy(),
    };
  }
  const sessions = await Promise.all(Array.from({length: params.connections}, () => openSession(params.address)));
  let turn = 0;
  return {
    send: (path, request) => http2UnaryCall(sessions[turn++ % sessions.length]!, path, request),
    close: () => {
      for (const session of sessions) session.close();
    },
  };
}

function callerFor(method: UnaryMethod): () => Promise<unknown> {
  const path = (name: string): string => `/books.BookService/${name}`;
  switch (method) {
    case 'get': {
      const request = BookIdRequest.encode({id: GET_ID}).finish();
      return async () => Book.decode(await transport.send(path('Get'), request));
    }
    case 'list': {
      const request = Empty.encode({}).finish();
      return async () => BookList.decode(await transport.send(path('List'), request));
    }
    case 'insert': {
      let nextId = params.firstId;
      return async () => {
        const request = Book.encode(benchBook(nextId++)).finish();
        return Empty.decode(await transport.send(path('Insert'), request));
      };
    }
  }
}
