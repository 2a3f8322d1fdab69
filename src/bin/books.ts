#!/usr/bin/env node
// The installed `books` command: `books server [flags]` runs the server,
// anything else is the CLI. Each is loaded only when asked for, so the CLI
// does not pay for loading the server's modules at start-up, nor the reverse.

if (process.argv[2] === 'server') {
  // The server reads its flags from process.argv, as when its own module runs as the script.
  process.argv.splice(2, 1);
  await import('../server/main.js');
} else {
  await import('../cli/main.js');
}
