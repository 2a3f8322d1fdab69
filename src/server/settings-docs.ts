import {isSwitch, SETTINGS, type Setting} from './settings.js';

// The server's --help and the README's table of settings, both written from
// SETTINGS, so neither can drift from what the server reads.

const ALL: readonly Setting<unknown>[] = Object.values(SETTINGS);
const WIDTH = 80;
const FIRST_COLUMN = 30;

export const SERVER_HELP = `Usage: books server [options]
       pnpm server [options]   (the same, in a checkout of the repository)

Each setting comes from its flag, else its environment variable (one set to
"" counts as unset), else its default.

${ALL.map(helpEntry).join('')}${entry('-h, --help', ['print this help'])}`;

function helpEntry(setting: Setting<unknown>): string {
  const left = setting.flag === undefined ? setting.env.join(', ') : `--${setting.flag} ${setting.placeholder ?? ''}`;
  const where = setting.flag === undefined ? '' : `env ${environmentOf(setting)}; `;
  return entry(left.trimEnd(), [plain(setting.help), plain(`${where}default ${defaultOf(setting)}`)]);
}

/** Writes the left column, then each paragraph wrapped in the right one. */
function entry(left: string, paragraphs: readonly string[]): string {
  const lines = paragraphs.flatMap((text) => wrap(text, WIDTH - FIRST_COLUMN));
  const indent = ' '.repeat(FIRST_COLUMN);
  const first = `  ${left}`.padEnd(FIRST_COLUMN);
  const head = first.length > FIRST_COLUMN ? `${first}\n${indent}` : first;
  return `${head}${lines.join(`\n${indent}`)}\n`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** The table of the README's section "The server", one row per setting. */
export function settingsTable(): string {
  const rows = ALL.map((setting) =>
    [
      setting.flag === undefined ? '' : `\`--${setting.flag}\``,
      environmentOf(setting)
        .split(', ')
        .map((name) => `\`${name}\``)
        .join(', '),
      defaultOf(setting),
      setting.help,
    ].join(' | '),
  );
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows.map((row) => `| ${row} |`)]
    .map((row) => `${row}\n`)
    .join('');
}

/** Between these markers the README holds settingsTable(). */
export const TABLE_START = '<!-- settings table: written by `pnpm docs:settings` from src/server/settings.ts -->\n';
export const TABLE_END = '<!-- end of settings table -->\n';

/** The README with its table of settings written anew. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('the README has no settings table markers');
  return `${readme.slice(0, start + TABLE_START.length)}${settingsTable()}${readme.slice(end)}`;
}

/** A switch is turned on by setting its variable to true. */
function environmentOf(setting: Setting<unknown>): string {
  return setting.env.map((name) => (isSwitch(setting) ? `${name}=true` : name)).join(', ');
}

function defaultOf(setting: Setting<unknown>): string {
  return setting.defaultText ?? (setting.default === '' ? 'none' : `\`${setting.default}\``);
}

/** Markdown's code quotes are noise in a terminal. */
function plain(text: string): string {
  return text.replaceAll('`', '');
}
