import {browserSkipReason} from './helpers/browser.js';
import {privatePostgresSkipReason} from './helpers/private-postgres.js';
import {STORES} from './helpers/stores.js';

// Run by `pnpm test` before the test files: the suites that cannot run on
// this machine, named once and in one line. The test files leave them out.
const skipped = [...STORES.map((kind) => kind.skip), privatePostgresSkipReason(), browserSkipReason()].filter(
  (reason): reason is string => reason !== undefined,
);
if (skipped.length > 0) {
  process.stdout.write(`# skipped here (not counted below): ${skipped.join('; ')}\n`);
}
