import {readFileSync} from 'node:fs';
import {DEFAULT_ADDRESS, DEFAULT_PORT, DEFAULT_TIMEOUT_MS} from '../client/client.js';
import {MAX_BOOK_ID} from '../client/index.js';
import type {CliIo} from './cli-io.js';

/** Bad arguments: usage is printed and the server is not contacted (exit 2). */
export class UsageError extends Error {}

/** The options every command takes, read and checked once. */
export interface GlobalOptions {
  readonly address: string;
  readonly json: boolean;
  readonly timeout: number;
  readonly service: string | undefined;
  readonly concurrency: unknown;
  readonly tls: boolean | {readonly ca: Buffer};
  readonly token: string | undefined;
  readonly reconnect: boolean;
  /** `changes`: its own flags. */
  readonly from: string | undefined;
  readonly existing: boolean;
  readonly cursorFile: string | undefined;
}

/** Reads cac's parsed options, the environment and the files they name. Throws UsageError. */
export function readGlobalOptions(raw: unknown, env: CliIo['env']): GlobalOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  const address = parseAddress(String(options['address'] ?? env['BOOKS_ADDRESS'] ?? DEFAULT_ADDRESS));
  const timeout = positiveInteger('--timeout', options['timeout'] ?? DEFAULT_TIMEOUT_MS);
  const service = options['service'] === undefined ? undefined : String(options['service']);
  const ca = options['ca'] === undefined ? undefined : readOption('--ca', String(options['ca']));
  const tls = ca === undefined ? options['tls'] === true : {ca};
  const tokenFile = options['tokenFile'];
  const token = (
    tokenFile === undefined ? env['BOOKS_TOKEN'] : readOption('--token-file', String(tokenFile)).toString()
  )?.trim();
  return {
    address,
    json: options['json'] === true,
    timeout,
    service,
    concurrency: options['concurrency'],
    tls,
    token: token === '' ? undefined : token,
    reconnect: options['reconnect'] === true,
    from: optionalText('--from', options['from']),
    existing: options['existing'] === true,
    cursorFile: optionalText('--cursor-file', options['cursorFile']),
  };
}

function optionalText(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} needs a value`);
  return value;
}

/**
 * The `host:port` to connect to, from `host[:port]`: without a port, the
 * books port (50051), not HTTP's 80. IPv6 addresses go in brackets, as in
 * URLs (`[::1]:50051`); a bare one (`::1`) is taken as a host alone.
 * Targets that name a grpc-js scheme (`unix:/path`, `dns:host`) pass unread.
 */
export function parseAddress(text: string): string {
  if (/^(unix|unix-abstract|dns|ipv4|ipv6|vsock):/.test(text)) return text;
  const bareIpv6 = !text.startsWith('[') && text.split(':').length > 2;
  const url = URL.parse(`grpc://${bareIpv6 ? `[${text}]` : text}`);
  if (
    url === null ||
    url.hostname === '' ||
    url.port === '0' ||
    `${url.username}${url.pathname}${url.search}${url.hash}` !== ''
  ) {
    throw new UsageError(`--address must be host or host:port (a port from 1 to 65535), got "${text}"`);
  }
  return `${url.hostname}:${url.port === '' ? DEFAULT_PORT : url.port}`;
}

export function readOption(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error: unknown) {
    throw new UsageError(`${flag}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function positiveInteger(flag: string, value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new UsageError(`${flag} needs a positive integer`);
  return number;
}

export function parseId(text: string | undefined): number {
  const id = /^-?\d+$/.test(text ?? '') ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(id) && Math.abs(id) <= MAX_BOOK_ID)) {
    throw new UsageError(`<id> must be an integer that fits in 32 bits, got "${text ?? ''}"`);
  }
  return id;
}
