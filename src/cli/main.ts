#!/usr/bin/env node
import {once} from 'node:events';
import {runCli} from './cli.js';

// A reader that stops early (`books export | head`) is not an error worth a message.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

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
