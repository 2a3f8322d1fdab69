#!/usr/bin/env node
import {once} from 'node:events';
import {runCli} from './cli.js';

// A reader that stops early (`books export | head`) is not an error worth a message.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// With TLS to an IP address, grpc-js gives Node that address as the server
// name, which TLS does not allow, and Node warns of it on stderr (DEP0123)
// whether or not the certificate names the address: nothing a person running
// a command can act on. A certificate that does not name it fails the call
// with a line that says so (print.ts).
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (rest.includes('DEP0123')) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

const interrupted = new AbortController();
// The first Ctrl-C or SIGTERM ends a watch cleanly; a second one exits at once.
const onSignal = (): void => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await runCli(process.argv.slice(2), {
  // Wait for a full pipe to drain, so that a long listing never piles up in memory.
  stdout: (text) => (process.stdout.write(text) ? undefined : once(process.stdout, 'drain').then(() => {})),
  stderrIsTerminal: process.stderr.isTTY === true,
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signal: interrupted.signal,
});
// Nothing else is left to wait for: leave without waiting on idle handles.
process.removeListener('SIGINT', onSignal);
process.removeListener('SIGTERM', onSignal);
