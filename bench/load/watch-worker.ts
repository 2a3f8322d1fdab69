#!/usr/bin/env node
import {request} from 'node:http';
import {constants, type ClientHttp2Session} from 'node:http2';
import {monotonicMicros, sentMicrosOf} from '../bench-books.js';
import {LatencyHistogram} from '../histogram.js';
import type {WatchCommand, WatchLoadParams, WatchReport} from '../messages.js';
import type {WatchMethod} from '../systems.js';
import {Book, ChangeType, WatchChangesRequest, WatchChangesResponse} from '../../src/gen/books/books.js';
import {EMPTY_MESSAGE_FRAME, GrpcMessageReader} from './grpc-message-reader.js';
import {frame} from './http2-unary.js';
import {openSession} from './http2-session.js';
import {splitAddress} from './connect-unary.js';

// A watch load process: opens `watchers` Watch (or WatchChanges) streams
// spread over `connections` HTTP/2 connections, says when every one is
// registered, then records each delivered book's latency from its insert
// (stamped in the title) until told to finish.
//
// It speaks gRPC over node:http2 directly rather than through @grpc/grpc-js:
// a grpc-js client spends more CPU per received message than the server
// spends sending it, and on a two-core machine tens of thousands of
// deliveries a second would then measure the clients, not the server.
// Against a web port (`transport: 'grpc-web'`) it speaks gRPC-Web over
// node:http in the same way, a connection per watch.

const params = JSON.parse(process.argv[2] ?? '') as WatchLoadParams;
const OPEN_TIMEOUT_MS = 60_000;

interface WatcherState {
  delivered: number;
  lastId: number;
  ended: boolean;
}

/**
 * How one streaming method is called and read. `read` hands each book a
 * response carries to `onBook` and says how many it carried (none for a
 * heartbeat); `registeredBy` is the sign that the server has registered the
 * watcher, so that it will see every later insert.
 */
interface WatchStreamKind {
  readonly path: string;
  readonly request: Buffer;
  readonly registeredBy: 'headers' | 'first message';
  read(message: Uint8Array, onBook: (book: Book) => void): number;
}

const STREAM_KINDS: Record<WatchMethod, WatchStreamKind> = {
  watch: {
    path: '/books.BookService/Watch',
    request: EMPTY_MESSAGE_FRAME,
    // The product and the baseline send headers once the watch is registered.
    registeredBy: 'headers',
    read(message, onBook) {
      onBook(Book.decode(message));
      return 1;
    },
  },
  changes: {
    path: '/books.BookService/WatchChanges',
    request: frame(WatchChangesRequest.encode({afterCursor: '', includeExisting: false}).finish()),
    // From now: the first response is a heartbeat holding the position the feed starts after.
    registeredBy: 'first message',
    read(message, onBook) {
      const {changes, cursor} = WatchChangesResponse.decode(message);
      for (const change of changes) {
        if (change.type !== ChangeType.CHANGE_TYPE_CREATED || change.book === undefined) {
          firstError ??= `WatchChanges sent a change of type ${change.type} where only insertions were made`;
          continue;
        }
        onBook(change.book);
      }
      const last = changes[changes.length - 1];
      if (last !== undefined && last.cursor !== cursor)
        firstError ??= "a WatchChanges response's cursor is not its last change's";
      return changes.length;
    },
  },
};
const kind = STREAM_KINDS[params.method];

if (params.transport === 'grpc-web' && kind.registeredBy !== 'first message')
  throw new Error(`${params.method} over gRPC-Web: only WatchChanges tells a watcher it is registered`);

const histogram = new LatencyHistogram();
const watchers: WatcherState[] = [];
/** Closes each stream at the finish. */
const closers: (() => void)[] = [];
let delivered = 0;
let messages = 0;
let heartbeats = 0;
let ended = 0;
let outOfOrder = 0;
let finishing = false;
let firstError: string | undefined;

const sessions =
  params.transport === 'grpc-web'
    ? []
    : await Promise.all(Array.from({length: params.connections}, () => openSession(params.address)));
const opening = Array.from({length: params.watchers}, (_, index) =>
  openWatcher(
    params.transport === 'grpc-web' ? openGrpcWebStream : openHttp2Stream(sessions[index % sessions.length]!),
  ),
);
const outcomes = await withTimeout(Promise.allSettled(opening), OPEN_TIMEOUT_MS, 'opening watchers');
const failed = outcomes.filter((outcome) => outcome.status === 'rejected').length;
const cpuAtReady = process.cpuUsage();
send({type: 'ready', opened: outcomes.length - failed, failed, ...(firstError === undefined ? {} : {firstError})});

process.on('message', (message: WatchCommand) => {
  if (message.type === 'progress') send({type: 'progress', delivered, ended});
  if (message.type === 'finish') finish();
});
// If the harness goes away, so does its load.
process.on('disconnect', () => process.exit(1));

function finish(): void {
  finishing = true;
  const fewestPerWatcher = watchers.reduce((fewest, watcher) => Math.min(fewest, watcher.delivered), Infinity);
  send(
    {
      type: 'watch-result',
      watchers: watchers.length,
      delivered,
      messages,
      heartbeats,
      fewestPerWatcher: watchers.length === 0 ? 0 : fewestPerWatcher,
      ended,
      outOfOrder,
      ...(firstError === undefined ? {} : {firstError}),
      latency: histogram.toData(),
      cpuSeconds: cpuSecondsSince(cpuAtReady),
    },
    () => {
      for (const close of closers) close();
      for (const session of sessions) session.destroy();
      process.exit(0);
    },
  );
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** What a watch stream tells its watcher, whatever carries it. */
interface StreamEvents {
  /** The response's headers: `refused` says why the call failed at once, if it did. */
  response(refused: string | undefined): void;
  data(chunk: Buffer): void;
  /** The stream ended or failed (trailers, an error, a close); only the first call counts. */
  end(why: string): void;
}

type OpenStream = (events: StreamEvents) => void;

/** gRPC over one stream of an HTTP/2 session. */
function openHttp2Stream(session: ClientHttp2Session): OpenStream {
  return (events) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': kind.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    closers.push(() => stream.close(constants.NGHTTP2_CANCEL));
    stream.end(kind.request);
    // A status in the headers is a trailers-only answer: the call failed at once.
    stream.once('response', (headers) =>
      events.response(
        headers[':status'] !== 200 || headers['grpc-status'] !== undefined
          ? `watch refused: HTTP ${String(headers[':status'])}, grpc-status ${String(headers['grpc-status'])}`
          : undefined,
      ),
    );
    stream.on('data', events.data);
    stream.on('trailers', (trailers) =>
      events.end(
        `watch ended: grpc-status ${String(trailers['grpc-status'])} ${String(trailers['grpc-message'] ?? '')}`,
      ),
    );
    stream.on('error', (error: Error) => events.end(`watch failed: ${error.message}`));
    stream.on('close', () => events.end('watch closed'));
  };
}

/** gRPC-Web over a connection of its own (HTTP/1.1 carries one call at a time); the trailers come in the body. */
function openGrpcWebStream(events: StreamEvents): void {
  const [host, port] = splitAddress(params.address);
  const call = request({
    agent: false,
    host,
    port,
    method: 'POST',
    path: kind.path,
    headers: {'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1'},
  });
  closers.push(() => call.destroy());
  call.on('response', (response) => {
    events.response(
      response.statusCode !== 200 || response.headers['grpc-status'] !== undefined
        ? `watch refused: HTTP ${String(response.statusCode)}, grpc-status ${String(response.headers['grpc-status'])}`
        : undefined,
    );
    response.on('data', events.data);
    response.on('error', (error: Error) => events.end(`watch failed: ${error.message}`));
    response.on('close', () => events.end('watch closed'));
  });
  call.on('error', (error: Error) => events.end(`watch failed: ${error.message}`));
  call.end(kind.request);
}

function openWatcher(open: OpenStream): Promise<void> {
  const watcher: WatcherState = {delivered: 0, lastId: 0, ended: false};
  watchers.push(watcher);
  const reader = new GrpcMessageReader();

  let receivedMicros = 0;
  let registered = (): void => {};
  const onMessage = (bytes: Uint8Array): void => {
    receivedMicros = monotonicMicros();
    if (kind.read(bytes, onBook) > 0) messages++;
    else heartbeats++;
    registered();
  };
  const onBook = (book: Book): void => {
    const sentMicros = sentMicrosOf(book);
    // Warm-up books carry no send time: delivered and counted, not timed.
    if (!Number.isNaN(sentMicros)) histogram.record((receivedMicros - sentMicros) / 1000);
    if (book.id <= watcher.lastId) outOfOrder++;
    watcher.lastId = book.id;
    watcher.delivered++;
    delivered++;
  };
  const onTrailers = (text: string): void => {
    const status = /^grpc-status:\s*(\d+)/im.exec(text)?.[1];
    const message = /^grpc-message:\s*(.*?)\r?$/im.exec(text)?.[1] ?? '';
    end(`watch ended: grpc-status ${String(status)} ${message}`);
  };

  const end = (why: string): void => {
    if (watcher.ended || finishing) return;
    watcher.ended = true;
    ended++;
    firstError ??= why;
  };

  return new Promise((resolve, reject) => {
    open({
      response(refused) {
        if (refused !== undefined) {
          end(refused);
          reject(new Error(refused));
        } else if (kind.registeredBy === 'headers') {
          resolve();
        } else {
          registered = () => {
            registered = () => {};
            resolve();
          };
        }
      },
      data: (chunk) => reader.push(chunk, onMessage, onTrailers),
      end(why) {
        end(why);
        reject(new Error(`${why} before the watch was registered`));
      },
    });
  });
}

function send(report: WatchReport, then: () => void = () => {}): void {
  process.send!(report, then);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
