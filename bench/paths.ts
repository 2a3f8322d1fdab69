import {fileURLToPath} from 'node:url';

// Compiled entry points, relative to this file's place in dist/bench/.

const at = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export const REPO_ROOT = at('../../');
export const PRODUCT_SERVER_MAIN = at('../src/server/main.js');
export const CLI_MAIN = at('../src/cli/main.js');
export const BASELINE_SERVER_MAIN = at('./baseline/main.js');
export const FLOOR_SERVER_MAIN = at('./floor/main.js');
export const PLAIN_SERVER_MAIN = at('./plain-nice-grpc/main.js');
export const UNARY_WORKER_MAIN = at('./load/unary-worker.js');
export const WATCH_WORKER_MAIN = at('./load/watch-worker.js');
/** The `books` command: `books server`, and the CLI (the soak's consumer). */
export const BOOKS_BIN = at('../src/bin/books.js');
