import {STORES} from './helpers/stores.js';

// Run by `pnpm test` before the test files: the suites that cannot run on
// this machine, named once and in one line. The test files leave them out.
const skipped = STORES.flatMap((kind) => (kind.skip === undefined ? [] : [kind.skip]));
if (skipped.length > 0) {
  process.stdout.write(`# skipped here (not counted below): ${skipped.join('; ')}\n`);
}
