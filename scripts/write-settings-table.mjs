// Rewrites the README's table of server settings from src/server/settings.ts
// (compiled first: `pnpm docs:settings`). test/config.test.ts ("--help and
// the README come from the declarations") fails while the README differs.
import {readFileSync, writeFileSync} from 'node:fs';
import {withSettingsTable} from '../dist/src/server/settings-docs.js';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')));
