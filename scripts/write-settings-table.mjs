// Rewrites the README's table of server settings from src/server/settings.ts
// (compiled first: `pnpm docs:settings`). test/settings-docs.test.ts fails
// while the README differs.
import {readFileSync, writeFileSync} from 'node:fs';
import {withSettingsTable} from '../dist/src/server/settings-docs.js';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withSettingsTable(readFileSync(readme, 'utf8')));
