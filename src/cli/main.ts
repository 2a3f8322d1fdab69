#!/usr/bin/env node
import {runCli} from './cli.js';

const interrupted = new AbortController();
// The first Ctrl-C or SIGTERM ends a watch cleanly; a second one exits at once.
const onSignal = (): void => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signal: interrupted.signal,
});
// Nothing else is left to wait for: leave without waiting on idle handles.
process.removeListener('SIGINT', onSignal);
process.removeListener('SIGTERM', onSignal);
